using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.State;

namespace NetFabric.Simulation.Devices;

/// <summary>
/// A virtual L2 switch (seed 001 §6): learns source MACs per VLAN, forwards unicast to a known MAC's port, floods
/// unknown, broadcast and multicast destinations to every other port. It reads only what it needs — in-port VLAN,
/// Ethernet source and destination — so its flows never match on L3 or L4. Every flow it decides carries the
/// bridge's tag and the tags of the source and destination MAC entries it relied on (the destination known or
/// unknown; the source learned at the ingress port), so learning or moving either MAC invalidates exactly those
/// flows — including flows that would otherwise skip re-learning a MAC that moved back.
/// </summary>
public sealed class Bridge : IVirtualDevice
{
    private readonly ulong[] _ports;

    /// <summary>Creates a bridge with device id <paramref name="id"/> over <paramref name="ports"/> (device port ids).</summary>
    public Bridge(ulong id, string name, IReadOnlyList<ulong> ports, MacTable? macTable = null)
    {
        Id = id;
        Name = name;
        _ports = [.. ports];
        MacTable = macTable ?? new MacTable();
    }

    /// <inheritdoc />
    public ulong Id { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The bridge's MAC table.</summary>
    public MacTable MacTable { get; }

    /// <summary>The invalidation tag of flows that relied on where (or whether) <paramref name="mac"/> is known on <paramref name="vlan"/> in this bridge.</summary>
    public ulong MacTag(int vlan, MacAddress mac) => Tags.MacEntry(Id, vlan, mac);

    /// <inheritdoc />
    public DeviceVerdict Process(SimulationContext context, ulong ingressPort)
    {
        context.AddTag(Id);
        int vlan = context.ReadVlanId();
        var source = context.ReadEthernetSource();
        var destination = context.ReadEthernetDestination();
        MacTable.Learn(vlan, source, ingressPort);
        // The flow will skip this learning for later packets, so it is valid only while the source stays here:
        // when the source MAC moves, its entry changes and this tag invalidates the flow.
        if (!source.IsMulticast) context.AddTag(MacTag(vlan, source));

        if (destination.IsMulticast)
            return DeviceVerdict.Flood(Others(ingressPort), destination.IsBroadcast ? "broadcast: flood" : "multicast: flood");

        context.AddTag(MacTag(vlan, destination));
        if (!MacTable.TryGetPort(vlan, destination, out ulong port))
            return DeviceVerdict.Flood(Others(ingressPort), $"{destination} unknown in VLAN {vlan}: flood");
        if (port == ingressPort)
            return DeviceVerdict.Drop($"{destination} is behind the ingress port (no hairpin)");
        return DeviceVerdict.Forward(port, $"{destination} learned on port {port}");
    }

    private ulong[] Others(ulong ingressPort) => [.. _ports.Where(p => p != ingressPort)];
}
