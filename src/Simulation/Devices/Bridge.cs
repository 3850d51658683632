using System.Collections.Concurrent;
using System.Collections.Frozen;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.State;
using NetFabric.Simulation.State.Internal;

namespace NetFabric.Simulation.Devices;

/// <summary>
/// A virtual L2 switch (seed 001 §6) with IEEE 802.1Q port VLANs. A port with an access VLAN N takes untagged
/// frames into VLAN N and sends VLAN N's frames out untagged; a tagged frame arriving on it is dropped. A port
/// without one is a trunk: tagged frames keep their VLAN, untagged frames are VLAN 0, and frames leave it carrying
/// their VLAN as a tag (VLAN 0 untagged). The bridge learns source MACs per VLAN, forwards unicast to a known MAC's
/// port, and floods unknown, broadcast and multicast destinations to every other port of the frame's VLAN.
/// It reads only what it needs — in-port VLAN, EtherType, Ethernet source and destination — so its flows never
/// match on L3 or L4. Every flow it decides carries the bridge's tag and the tags of the source and destination
/// MAC entries it relied on (the destination known or unknown; the source learned at the ingress port), so
/// learning or moving either MAC invalidates exactly those flows — including flows that would otherwise skip
/// re-learning a MAC that moved back.
/// ARP suppression: the bridge keeps a per-VLAN IP → MAC table (static entries, linked router ports, senders of
/// ARP packets and sources of IPv4 packets passing through) and answers an ARP request for a known target itself,
/// out of the ingress port, instead of flooding it. For that it also reads, for ARP only, the operation, sender
/// and target; such decisions carry the entry's <see cref="ArpEntryTag"/>, which learning a changed IP → MAC
/// invalidates. Thread-safe: several workers may simulate through one bridge at once.
/// </summary>
public sealed class Bridge : IVirtualDevice
{
    private const int ReservedVlan = 4095;

    private readonly ulong[] _ports;
    // Access VLAN of each access port; a port not in it is a trunk.
    private readonly FrozenDictionary<ulong, int> _accessVlans;
    // VLAN 0 and every access VLAN, ascending: where static ARP entries go.
    private readonly int[] _vlans;
    // The IP → MAC table of ARP suppression: configured entries (static ARP, linked router ports) and learned ones.
    private readonly LearnedEntries<(int Vlan, IPv4Address Address), MacAddress> _arp;
    // MACs of linked router ports. A router forwards packets of other subnets with its own MAC as their source, so
    // an IPv4 packet from one says nothing about where its source address lives.
    private readonly ConcurrentDictionary<MacAddress, byte> _routerMacs = new();

    /// <summary>
    /// Creates a bridge with device id <paramref name="id"/> over <paramref name="ports"/> (device port ids).
    /// <paramref name="accessVlans"/> maps access ports to their VLAN (1..4094); every other port is a trunk, and
    /// entries for ports not in <paramref name="ports"/> are ignored.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An access VLAN is outside 1..4094 (a configuration error).</exception>
    public Bridge(ulong id, string name, IReadOnlyList<ulong> ports, MacTable? macTable = null, IReadOnlyDictionary<ulong, int>? accessVlans = null)
    {
        Id = id;
        Name = name;
        _ports = [.. ports];
        _arp = new(key => ArpEntryChanged?.Invoke(key.Vlan, key.Address));
        MacTable = macTable ?? new MacTable();
        var access = new Dictionary<ulong, int>();
        foreach (var (port, vlan) in accessVlans ?? FrozenDictionary<ulong, int>.Empty)
        {
            if (vlan is < 1 or >= ReservedVlan) throw new ArgumentOutOfRangeException(nameof(accessVlans), vlan, $"Port {port}: an access VLAN is 1 to 4094.");
            if (_ports.Contains(port)) access[port] = vlan;
        }
        _accessVlans = access.ToFrozenDictionary();
        _vlans = [0, .. access.Values.Distinct().Order()];
    }

    /// <inheritdoc />
    public ulong Id { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The bridge's MAC table.</summary>
    public MacTable MacTable { get; }

    /// <summary>Raised after the IP → MAC table learns a new address or a changed MAC for one, or forgets one, with its VLAN and address.</summary>
    public event Action<int, IPv4Address>? ArpEntryChanged;

    /// <summary>
    /// Adds (or replaces) a configured IP → MAC entry of <paramref name="vlan"/> (0: untagged) used to answer ARP
    /// requests: learning never changes it and it never ages. Raises nothing.
    /// </summary>
    public void AddArpEntry(int vlan, IPv4Address address, MacAddress mac) => _arp.Configure((vlan, address), mac);

    /// <summary>
    /// Adds an entry of the bridge's static ARP (seed 001 §6, known VM addresses). Such an entry names no VLAN, so it
    /// goes into VLAN 0 and into every access VLAN of the bridge: requests from any access port or from untagged
    /// trunk traffic find it. A VLAN carried only by trunk ports gets none (add it with <see cref="AddArpEntry"/>).
    /// Raises nothing.
    /// </summary>
    public void AddStaticArpEntry(IPv4Address address, MacAddress mac)
    {
        foreach (int vlan in _vlans) _arp.Configure((vlan, address), mac);
    }

    /// <summary>
    /// Adds a linked router port in <paramref name="vlan"/> (the VLAN of the bridge port it links to): the bridge
    /// answers ARP for <paramref name="address"/> with <paramref name="mac"/>, and learns nothing from IPv4 packets
    /// whose source is <paramref name="mac"/> (they are routed packets of other subnets). Raises nothing.
    /// </summary>
    public void AddRouterPort(int vlan, IPv4Address address, MacAddress mac)
    {
        _routerMacs[mac] = 0;
        _arp.Configure((vlan, address), mac);
    }

    /// <summary>The MAC the bridge answers ARP requests for <paramref name="address"/> in <paramref name="vlan"/> with, when known.</summary>
    public bool TryGetArpEntry(int vlan, IPv4Address address, out MacAddress mac) => _arp.TryGet((vlan, address), out mac);

    /// <summary>
    /// One ageing pass over the learned IP → MAC entries (configured ones never age): an entry that
    /// <paramref name="isReferenced"/> says some cached flow relies on stays; one that nothing relies on and that no
    /// packet showed again is forgotten after <paramref name="ageingTime"/> idle (raising <see cref="ArpEntryChanged"/>),
    /// so the bridge stops answering for an address whose host went away, and requests for it are flooded again.
    /// Returns the number of entries forgotten.
    /// </summary>
    public int AgeArpEntries(DateTimeOffset now, TimeSpan ageingTime, Func<int, IPv4Address, bool> isReferenced)
    {
        ArgumentNullException.ThrowIfNull(isReferenced);
        return _arp.Age(now, ageingTime, key => isReferenced(key.Vlan, key.Address));
    }

    /// <summary>
    /// The invalidation tag of flows of bridge <paramref name="bridge"/> that relied on its IP → MAC entry for
    /// <paramref name="address"/> in <paramref name="vlan"/> (distinct from MAC entry tags).
    /// </summary>
    public static ulong ArpEntryTag(ulong bridge, int vlan, IPv4Address address) =>
        FlowHash.Finish(FlowHash.Mix(FlowHash.Mix(0x4252_4152_5045_4E54UL, bridge), ((ulong)(uint)vlan << 32) | address.Value)) | 1UL << 63;

    /// <summary>The invalidation tag of flows that relied on this bridge's IP → MAC entry for <paramref name="address"/> in <paramref name="vlan"/>.</summary>
    public ulong ArpTag(int vlan, IPv4Address address) => ArpEntryTag(Id, vlan, address);

    /// <summary>The invalidation tag of flows that relied on where (or whether) <paramref name="mac"/> is known on <paramref name="vlan"/> in this bridge.</summary>
    public ulong MacTag(int vlan, MacAddress mac) => Tags.MacEntry(Id, vlan, mac);

    /// <inheritdoc />
    /// <remarks>
    /// Inside the bridge the frame carries its VLAN, as in an 802.1Q relay: an untagged frame from an access port
    /// is tagged here with the port's VLAN and <see cref="Egress"/> untags it again for access ports, so a flood to
    /// access ports and trunks alike yields untagged and tagged copies.
    /// </remarks>
    public DeviceVerdict Process(SimulationContext context, ulong ingressPort)
    {
        context.AddTag(Id);
        int carried = context.ReadVlanId();
        if (carried == ReservedVlan) return DeviceVerdict.Drop("VLAN 4095 is reserved (IEEE 802.1Q)");
        int vlan = carried;
        if (_accessVlans.TryGetValue(ingressPort, out int access))
        {
            // A priority-tagged frame (VLAN id 0) counts as untagged (IEEE 802.1Q); any other tag is not this port's to accept.
            if (carried != 0)
                return DeviceVerdict.Drop(context.Explain($"tagged frame (VLAN {carried}) on access port {ingressPort} of VLAN {access}: an access port takes untagged frames only"));
            vlan = access;
        }
        var source = context.ReadEthernetSource();
        var destination = context.ReadEthernetDestination();
        MacTable.Learn(vlan, source, ingressPort);
        // The flow will skip this learning for later packets, so it is valid only while the source stays here:
        // when the source MAC moves, its entry changes and this tag invalidates the flow.
        if (!source.IsMulticast) context.AddTag(MacTag(vlan, source));
        if (vlan != carried) context.SetVlanId(vlan);

        ushort etherType = context.ReadEtherType();
        if (etherType == EtherType.IPv4) LearnFromIpv4(context, vlan, source);
        else if (etherType == EtherType.Arp && ProcessArp(context, ingressPort, vlan) is { } answered) return answered;

        if (destination.IsMulticast)
            return Flood(context, ingressPort, vlan, destination.IsBroadcast ? "broadcast: flood" : "multicast: flood");

        context.AddTag(MacTag(vlan, destination));
        if (!MacTable.TryGetPort(vlan, destination, out ulong port))
            return Flood(context, ingressPort, vlan, context.Explain($"{destination} unknown in VLAN {vlan}: flood"));
        if (port == ingressPort)
            return DeviceVerdict.Drop(context.Explain($"{destination} is behind the ingress port (no hairpin)"));
        // Only a static entry can point outside the VLAN (learning happens on ports of the frame's VLAN).
        if (!Carries(port, vlan))
            return DeviceVerdict.Drop(context.Explain($"{destination} is on port {port}, which is not in VLAN {vlan}"));
        return DeviceVerdict.Forward(port, context.Explain($"{destination} learned on port {port} in VLAN {vlan}"));
    }

    /// <summary>Untags the frame for an access port; a trunk sends it with the VLAN it carries (VLAN 0 untagged).</summary>
    public void Egress(SimulationContext context, ulong egressPort)
    {
        if (_accessVlans.ContainsKey(egressPort)) context.SetVlanId(0);
    }

    // Seed 001 §6: the IP → MAC table also learns from IPv4 packets' source IP and MAC. The address is peeked at,
    // not read: the decision does not depend on it, and reading it would make every L2 flow match on L3. The cost
    // is that only packets that miss the flow cache — the first of each flow — teach the table; a host that changes
    // its address behind a cached flow is learned when that flow expires or the host sends ARP (which is never
    // answered from a cached flow). The packet as it reaches this bridge (CurrentKey) is what this segment carries,
    // so an address rewritten upstream is learned as rewritten.
    private void LearnFromIpv4(SimulationContext context, int vlan, MacAddress source)
    {
        var address = context.CurrentKey.Ipv4Source;
        if (source.IsMulticast || !IsHostAddress(address) || _routerMacs.ContainsKey(source)) return;
        Learn(vlan, address, source);
    }

    // Learns the sender of any ARP packet; answers a request for a known target. Null: forward as usual.
    private DeviceVerdict? ProcessArp(SimulationContext context, ulong ingressPort, int vlan)
    {
        byte operation = context.ReadNetworkProtocol();
        var sender = context.ReadIpv4Source();
        var senderMac = context.ReadArpSourceHardware();
        if (IsHostAddress(sender) && !senderMac.IsMulticast) Learn(vlan, sender, senderMac);
        if (operation != (byte)ArpPacket.OperationRequest) return null;
        var target = context.ReadIpv4Destination();
        context.AddTag(ArpTag(vlan, target));
        // Gratuitous ARP and probes are announcements, not questions.
        if (target == sender || sender.Value == 0 || !_arp.TryGet((vlan, target), out var targetMac) || targetMac == senderMac) return null;
        // The reply leaves the ingress port as that port sends: untagged from an access port, tagged from a trunk.
        ushort? tag = _accessVlans.ContainsKey(ingressPort) || vlan == 0 ? null : (ushort)vlan;
        Span<byte> reply = stackalloc byte[ArpFrames.Length + 4];
        int length = ArpFrames.WriteReply(reply, targetMac, target, senderMac, sender, tag);
        context.Emit(ingressPort, reply[..length]);
        return DeviceVerdict.Consume(context.Explain($"ARP request for {target} in VLAN {vlan}: answered with {targetMac}"));
    }

    private static bool IsHostAddress(IPv4Address address) => address.Value != 0 && !address.IsMulticast && address != IPv4Address.Broadcast;

    // A configured entry (static ARP, a linked router port) is never changed by what a host claims.
    private void Learn(int vlan, IPv4Address address, MacAddress mac) => _arp.Learn((vlan, address), mac);

    private bool Carries(ulong port, int vlan) => !_accessVlans.TryGetValue(port, out int access) || access == vlan;

    private DeviceVerdict Flood(SimulationContext context, ulong ingressPort, int vlan, string reason)
    {
        ulong[] ports = [.. _ports.Where(p => p != ingressPort && Carries(p, vlan))];
        return ports.Length == 0 ? DeviceVerdict.Drop(context.Explain($"{reason}: no other port in VLAN {vlan}")) : DeviceVerdict.Flood(ports, reason);
    }
}
