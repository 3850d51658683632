using System.Collections.Concurrent;
using NetFabric.Datapath.Flows;
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
/// ARP suppression: the bridge keeps an IP → MAC table (static entries, linked router ports, and senders of ARP
/// packets passing through) and answers an ARP request for a known target itself, out of the ingress port, instead
/// of flooding it. For that it also reads the EtherType, and for ARP the operation, sender and target; such
/// decisions carry the entry's <see cref="ArpEntryTag"/>, which learning a changed IP → MAC invalidates.
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

    private readonly ConcurrentDictionary<IPv4Address, MacAddress> _arp = new();

    /// <summary>Raised after the IP → MAC table learns a new address or a changed MAC for one.</summary>
    public event Action<IPv4Address>? ArpEntryChanged;

    /// <summary>Adds (or replaces) an IP → MAC entry used to answer ARP requests (static ARP, router ports); raises nothing.</summary>
    public void AddArpEntry(IPv4Address address, MacAddress mac) => _arp[address] = mac;

    /// <summary>The MAC the bridge answers ARP requests for <paramref name="address"/> with, when known.</summary>
    public bool TryGetArpEntry(IPv4Address address, out MacAddress mac) => _arp.TryGetValue(address, out mac);

    /// <summary>The invalidation tag of flows of bridge <paramref name="bridge"/> that relied on its IP → MAC entry for <paramref name="address"/> (distinct from MAC entry tags).</summary>
    public static ulong ArpEntryTag(ulong bridge, IPv4Address address) =>
        FlowHash.Finish(FlowHash.Mix(FlowHash.Mix(0x4252_4152_5045_4E54UL, bridge), address.Value)) | 1UL << 63;

    /// <summary>The invalidation tag of flows that relied on this bridge's IP → MAC entry for <paramref name="address"/>.</summary>
    public ulong ArpTag(IPv4Address address) => ArpEntryTag(Id, address);

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

        if (context.ReadEtherType() == EtherType.Arp && ProcessArp(context, ingressPort, vlan) is { } answered) return answered;

        if (destination.IsMulticast)
            return DeviceVerdict.Flood(Others(ingressPort), destination.IsBroadcast ? "broadcast: flood" : "multicast: flood");

        context.AddTag(MacTag(vlan, destination));
        if (!MacTable.TryGetPort(vlan, destination, out ulong port))
            return DeviceVerdict.Flood(Others(ingressPort), $"{destination} unknown in VLAN {vlan}: flood");
        if (port == ingressPort)
            return DeviceVerdict.Drop($"{destination} is behind the ingress port (no hairpin)");
        return DeviceVerdict.Forward(port, $"{destination} learned on port {port}");
    }

    // Learns the sender of any ARP packet; answers a request for a known target. Null: forward as usual.
    private DeviceVerdict? ProcessArp(SimulationContext context, ulong ingressPort, int vlan)
    {
        byte operation = context.ReadNetworkProtocol();
        var sender = context.ReadIpv4Source();
        var senderMac = context.ReadArpSourceHardware();
        if (sender.Value != 0 && !senderMac.IsMulticast) Learn(sender, senderMac);
        if (operation != (byte)ArpPacket.OperationRequest) return null;
        var target = context.ReadIpv4Destination();
        context.AddTag(ArpTag(target));
        // Gratuitous ARP and probes are announcements, not questions.
        if (target == sender || sender.Value == 0 || !_arp.TryGetValue(target, out var targetMac) || targetMac == senderMac) return null;
        Span<byte> reply = stackalloc byte[ArpFrames.Length + 4];
        int length = ArpFrames.WriteReply(reply, targetMac, target, senderMac, sender, vlan == 0 ? null : (ushort)vlan);
        context.Emit(ingressPort, reply[..length]);
        return DeviceVerdict.Consume($"ARP request for {target}: answered with {targetMac}");
    }

    private void Learn(IPv4Address address, MacAddress mac)
    {
        while (true)
        {
            if (_arp.TryGetValue(address, out var existing))
            {
                if (existing == mac) return;
                if (!_arp.TryUpdate(address, mac, existing)) continue;
            }
            else if (!_arp.TryAdd(address, mac))
            {
                continue;
            }
            ArpEntryChanged?.Invoke(address);
            return;
        }
    }

    private ulong[] Others(ulong ingressPort) => [.. _ports.Where(p => p != ingressPort)];
}
