using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.Tests.Engine;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;

namespace NetFabric.Simulation.Tests.Devices;

using NetFabric.Simulation.Topology;

/// Per-port access VLANs: access ports take and send untagged frames of their VLAN, trunks carry every VLAN tagged
/// (VLAN 0 untagged); forwarding, flooding, learning and ARP suppression stay inside the frame's VLAN.
public class BridgeVlanTests
{
    private static MacAddress Mac(int vm) => new(0x0200_0000_0000UL | (uint)vm);

    private static IPv4Address Ip(int vm) => new(0xC612_0000u | (uint)vm);

    /// One bridge: a10 and b10 access ports of VLAN 10, c20 and d20 of VLAN 20, t1 and t2 trunks.
    private static TopologySnapshot Topology() => new TopologyBuilder()
        .Bridge("br", b => b.Port("a10", exterior: "a10", vlan: 10).Port("b10", exterior: "b10", vlan: 10)
            .Port("c20", exterior: "c20", vlan: 20).Port("d20", exterior: "d20", vlan: 20)
            .Port("t1", exterior: "t1").Port("t2", exterior: "t2")
            .StaticArp("198.18.0.50", "02:00:00:00:00:50"))
        .Build();

    /// A UDP frame from vm <paramref name="from"/> to vm <paramref name="to"/> (0: broadcast), tagged when <paramref name="vlan"/> is not 0.
    private static byte[] Udp(int from, int to, int vlan = 0)
    {
        var frame = new byte[96];
        int length = IpFrames.WriteUdp(frame, Mac(from), to == 0 ? MacAddress.Broadcast : Mac(to), Ip(from), Ip(to == 0 ? 255 : to),
            5000, 5000, new byte[10], vlanTci: vlan == 0 ? null : (ushort)vlan);
        return frame[..length];
    }

    private static byte[] ArpRequest(int from, IPv4Address target, int vlan = 0)
    {
        var frame = new byte[ArpFrames.Length + 4];
        return frame[..ArpFrames.WriteRequest(frame, Mac(from), Ip(from), target, vlan == 0 ? null : (ushort)vlan)];
    }

    /// The 802.1Q VLAN id of <paramref name="frame"/>, or null when untagged.
    private static int? VlanOf(byte[] frame) =>
        BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == 0x8100 ? BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14)) & 0x0FFF : null;

    /// <paramref name="frame"/> without its 802.1Q tag.
    private static byte[] Untagged(byte[] frame) => VlanOf(frame) is null ? frame : [.. frame.AsSpan(0, 12), .. frame.AsSpan(16)];

    private static void AssertUntagged(byte[] sent, byte[] received)
    {
        Assert.Null(VlanOf(received));
        Assert.Equal(Untagged(sent), received);
    }

    private static void AssertTagged(int vlan, byte[] sent, byte[] received)
    {
        Assert.Equal(vlan, VlanOf(received));
        Assert.Equal(Untagged(sent), Untagged(received));
    }

    [Fact]
    public void An_untagged_frame_on_an_access_port_reaches_its_VLANs_access_ports_untagged_and_the_trunks_tagged()
    {
        using var net = new VirtualNetwork(Topology());
        var frame = Udp(1, 0);
        net.Send("a10", frame);
        AssertUntagged(frame, Assert.Single(net.Receive("b10")));
        AssertTagged(10, frame, Assert.Single(net.Receive("t1")));
        AssertTagged(10, frame, Assert.Single(net.Receive("t2")));
        Assert.Empty(net.Receive("c20"));
        Assert.Empty(net.Receive("d20"));
        Assert.Empty(net.Receive("a10"));
    }

    [Fact]
    public void A_cached_flood_gives_each_copy_its_ports_tagging()
    {
        using var net = new VirtualNetwork(Topology());
        var frame = Udp(1, 3);
        net.Send("a10", frame);
        foreach (var vm in net.Vms) net.Receive(vm);
        long upcalls = net.Pipeline.Statistics.Upcalls;
        net.Send("a10", frame);
        Assert.Equal(upcalls, net.Pipeline.Statistics.Upcalls);
        AssertUntagged(frame, Assert.Single(net.Receive("b10")));
        AssertTagged(10, frame, Assert.Single(net.Receive("t1")));
        AssertTagged(10, frame, Assert.Single(net.Receive("t2")));
        Assert.Empty(net.Receive("c20"));
    }

    [Fact]
    public void A_tagged_frame_from_a_trunk_reaches_only_its_VLANs_access_ports_untagged_and_the_other_trunk_tagged()
    {
        using var net = new VirtualNetwork(Topology());
        var frame = Udp(7, 0, vlan: 20);
        net.Send("t1", frame);
        AssertUntagged(frame, Assert.Single(net.Receive("c20")));
        AssertUntagged(frame, Assert.Single(net.Receive("d20")));
        AssertTagged(20, frame, Assert.Single(net.Receive("t2")));
        Assert.Empty(net.Receive("a10"));
        Assert.Empty(net.Receive("b10"));
        Assert.Empty(net.Receive("t1"));
    }

    [Fact]
    public void An_untagged_frame_from_a_trunk_is_VLAN_0_and_leaves_only_trunks()
    {
        using var net = new VirtualNetwork(Topology());
        var frame = Udp(7, 0);
        net.Send("t1", frame);
        Assert.Equal(frame, Assert.Single(net.Receive("t2")));
        foreach (var vm in new[] { "a10", "b10", "c20", "d20" }) Assert.Empty(net.Receive(vm));
    }

    [Fact]
    public void A_tagged_frame_on_an_access_port_is_dropped_and_the_trace_says_why()
    {
        using var net = new VirtualNetwork(Topology());
        net.Send("a10", Udp(1, 0, vlan: 10));
        net.Send("a10", Udp(1, 0, vlan: 20));
        foreach (var vm in net.Vms) Assert.Empty(net.Receive(vm));

        using var engine = new DecisionEngine(Topology(), new Dictionary<string, uint> { ["a10"] = 1, ["t1"] = 2 });
        var trace = engine.Trace(1, Udp(1, 0, vlan: 20));
        Assert.Equal("drop", trace.Outcome);
        Assert.Contains("tagged frame (VLAN 20) on access port", Assert.Single(trace.Hops).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_priority_tagged_frame_on_an_access_port_counts_as_untagged()
    {
        using var net = new VirtualNetwork(Topology());
        var frame = new byte[96];
        // Priority 5, VLAN id 0 (IEEE 802.1Q priority tag).
        int length = IpFrames.WriteUdp(frame, Mac(1), MacAddress.Broadcast, Ip(1), Ip(255), 5000, 5000, new byte[10], vlanTci: 0xA000);
        net.Send("a10", frame[..length]);
        AssertUntagged(frame[..length], Assert.Single(net.Receive("b10")));
        var trunk = Assert.Single(net.Receive("t1"));
        Assert.Equal(10, VlanOf(trunk));
        Assert.Equal(0xA000, BinaryPrimitives.ReadUInt16BigEndian(trunk.AsSpan(14)) & 0xE000); // the priority is kept
    }

    [Fact]
    public void MACs_learned_in_VLAN_10_do_not_steer_VLAN_20_traffic()
    {
        using var net = new VirtualNetwork(Topology());
        net.Send("a10", Udp(1, 0)); // vm1's MAC learned on a10 in VLAN 10
        foreach (var vm in net.Vms) net.Receive(vm);

        var inVlan20 = Udp(3, 1);
        net.Send("c20", inVlan20); // unknown in VLAN 20: flooded within VLAN 20, never to a10
        Assert.Empty(net.Receive("a10"));
        Assert.Empty(net.Receive("b10"));
        AssertUntagged(inVlan20, Assert.Single(net.Receive("d20")));
        AssertTagged(20, inVlan20, Assert.Single(net.Receive("t1")));
        AssertTagged(20, inVlan20, Assert.Single(net.Receive("t2")));

        var inVlan10 = Udp(2, 1);
        net.Send("b10", inVlan10); // known in VLAN 10: unicast to a10, untagged
        AssertUntagged(inVlan10, Assert.Single(net.Receive("a10")));
        foreach (var vm in new[] { "c20", "d20", "t1", "t2" }) Assert.Empty(net.Receive(vm));

        var fromTrunk = Udp(7, 1, vlan: 10);
        net.Send("t1", fromTrunk); // tagged 10 from a trunk: unicast to a10, untagged
        AssertUntagged(fromTrunk, Assert.Single(net.Receive("a10")));
        foreach (var vm in new[] { "b10", "c20", "d20", "t2" }) Assert.Empty(net.Receive(vm));
    }

    [Fact]
    public void A_unicast_to_a_MAC_learned_on_a_trunk_leaves_it_tagged()
    {
        using var net = new VirtualNetwork(Topology());
        net.Send("t2", Udp(7, 0, vlan: 10)); // vm7 learned on t2 in VLAN 10
        foreach (var vm in net.Vms) net.Receive(vm);
        var frame = Udp(1, 7);
        net.Send("a10", frame);
        AssertTagged(10, frame, Assert.Single(net.Receive("t2")));
        foreach (var vm in new[] { "b10", "c20", "d20", "t1" }) Assert.Empty(net.Receive(vm));
    }

    [Fact]
    public void A_trunk_link_carries_the_VLAN_to_the_next_bridge()
    {
        var topology = new TopologyBuilder()
            .Bridge("br1", b => b.Port("a10", exterior: "a10", vlan: 10).Port("c20", exterior: "c20", vlan: 20).Port("up"))
            .Bridge("br2", b => b.Port("b10", exterior: "b10", vlan: 10).Port("d20", exterior: "d20", vlan: 20).Port("down"))
            .Link("br1/up", "br2/down")
            .Build();
        using var net = new VirtualNetwork(topology);
        var frame = Udp(1, 0);
        net.Send("a10", frame);
        AssertUntagged(frame, Assert.Single(net.Receive("b10")));
        Assert.Empty(net.Receive("c20"));
        Assert.Empty(net.Receive("d20"));
    }

    [Fact]
    public void ARP_suppression_answers_out_of_the_ingress_port_tagged_as_that_port_sends()
    {
        using var net = new VirtualNetwork(Topology());
        var target = IPv4Address.Parse("198.18.0.50");

        net.Send("a10", ArpRequest(1, target));
        var fromAccess = Assert.Single(net.Receive("a10"));
        Assert.Null(VlanOf(fromAccess));

        net.Send("t1", ArpRequest(7, target, vlan: 20));
        var fromTrunk = Assert.Single(net.Receive("t1"));
        Assert.Equal(20, VlanOf(fromTrunk));

        net.Send("t1", ArpRequest(8, target));
        Assert.Null(VlanOf(Assert.Single(net.Receive("t1"))));

        foreach (var reply in new[] { fromAccess, fromTrunk })
        {
            Assert.True(EthernetHeader.TryRead(reply, out var ethernet));
            Assert.True(ArpPacket.TryRead(ethernet.Payload, out var arp));
            Assert.Equal(ArpPacket.OperationReply, arp.Operation);
            Assert.Equal(MacAddress.Parse("02:00:00:00:00:50"), arp.SenderHardwareAddress);
            Assert.Equal(target, arp.SenderProtocolAddress);
        }
        foreach (var vm in new[] { "b10", "c20", "d20", "t2" }) Assert.Empty(net.Receive(vm));
    }

    [Fact]
    public void A_static_ARP_entry_is_in_VLAN_0_and_every_access_VLAN_but_not_in_a_trunk_only_VLAN()
    {
        using var net = new VirtualNetwork(Topology());
        var target = IPv4Address.Parse("198.18.0.50");
        net.Send("c20", ArpRequest(3, target));
        Assert.Single(net.Receive("c20"));
        net.Send("t1", ArpRequest(7, target, vlan: 30));
        Assert.Empty(net.Receive("t1"));
        Assert.Equal(30, VlanOf(Assert.Single(net.Receive("t2")))); // flooded within VLAN 30
    }

    [Fact]
    public void A_linked_router_port_is_answered_for_in_the_VLAN_of_the_bridge_port_it_links_to_only()
    {
        var topology = new TopologyBuilder()
            .Bridge("br", b => b.Port("a10", exterior: "a10", vlan: 10).Port("c20", exterior: "c20", vlan: 20).Port("t1", exterior: "t1")
                .Port("r", vlan: 10))
            .Router("r1", r => r.Port("p1", mac: "02:00:00:00:01:01", address: "198.18.0.254/24"))
            .Link("br/r", "r1/p1")
            .Build();
        using var net = new VirtualNetwork(topology);
        var routerIp = IPv4Address.Parse("198.18.0.254");

        net.Send("a10", ArpRequest(1, routerIp));
        var reply = Assert.Single(net.Receive("a10"));
        Assert.True(EthernetHeader.TryRead(reply, out var ethernet));
        Assert.True(ArpPacket.TryRead(ethernet.Payload, out var arp));
        Assert.Equal(MacAddress.Parse("02:00:00:00:01:01"), arp.SenderHardwareAddress);

        net.Send("c20", ArpRequest(3, routerIp)); // VLAN 20 has no router port: flooded within VLAN 20
        Assert.Empty(net.Receive("c20"));
        Assert.Empty(net.Receive("a10"));
        Assert.Equal(20, VlanOf(Assert.Single(net.Receive("t1"))));
    }

    /// A router linked to a trunk port serves VLAN 0 (untagged) only: the VLANs the trunk also carries reach the
    /// router tagged, and it neither answers nor routes them, so they stay apart from its subnets.
    [Fact]
    public void A_router_on_a_trunk_port_serves_only_the_untagged_VLAN()
    {
        var topology = new TopologyBuilder()
            .Bridge("br", b => b.Port("a10", exterior: "a10", vlan: 10).Port("t1", exterior: "t1").Port("r"))
            .Router("r1", r => r.Port("p1", mac: "02:00:00:00:01:01", address: "198.18.0.254/24")
                .Port("p2", mac: "02:00:00:00:02:01", address: "198.18.1.1/24", exterior: "far"))
            .Link("br/r", "r1/p1")
            .Build();
        using var net = new VirtualNetwork(topology);
        var routerIp = IPv4Address.Parse("198.18.0.254");
        var routerMac = MacAddress.Parse("02:00:00:00:01:01");

        // VLAN 10: the request is flooded in VLAN 10 (the bridge knows no router there) and reaches the router tagged.
        net.Send("a10", ArpRequest(1, routerIp));
        Assert.Empty(net.Receive("a10"));
        Assert.Equal(10, VlanOf(Assert.Single(net.Receive("t1"))));
        // A VLAN-10 host that knows the router's MAC anyway is not routed.
        var routed = new byte[96];
        int length = IpFrames.WriteUdp(routed, Mac(1), routerMac, Ip(1), IPv4Address.Parse("198.18.1.7"), 5000, 5000, new byte[10]);
        net.Send("a10", routed[..length]);
        Assert.Empty(net.Receive("far"));
        Assert.Equal(10, VlanOf(Assert.Single(net.Receive("t1")))); // the router's MAC is unknown in VLAN 10: flooded there

        // Untagged traffic on the trunk is VLAN 0, the router's: answered by the bridge from the linked port, and routed.
        net.Send("t1", ArpRequest(2, routerIp));
        Assert.Null(VlanOf(Assert.Single(net.Receive("t1"))));
        length = IpFrames.WriteUdp(routed, Mac(2), routerMac, Ip(2), IPv4Address.Parse("198.18.1.7"), 5000, 5000, new byte[10]);
        net.Send("t1", routed[..length]);
        var arp = Assert.Single(net.Receive("far")); // the router asks for the far host, the packet waits
        Assert.True(EthernetHeader.TryRead(arp, out var ethernet));
        Assert.Equal(EtherType.Arp, ethernet.EtherType);
    }

    /// A step of a random scenario over <see cref="Topology"/>: a UDP frame or an ARP request from a VM's MAC, sent
    /// from some port (so MACs move), untagged or tagged; or (when <see cref="Reconfigure"/>) b10 changes VLAN.
    public sealed record Step(int FromMac, int ToMac, int Port, int Vlan, bool Arp, bool Reconfigure);

    private static readonly string[] Ports = ["a10", "b10", "c20", "d20", "t1", "t2"];

    private static readonly Arbitrary<Step[]> Steps = Arb.From(Gen.ArrayOf(
        from mac in Gen.Choose(1, 4)
        from to in Gen.Choose(0, 4)
        from port in Gen.Choose(0, Ports.Length - 1)
        from vlan in Gen.Frequency((3, Gen.Constant(0)), (2, Gen.Elements(10, 20)), (1, Gen.Constant(30)))
        from arp in Gen.Frequency((1, Gen.Constant(true)), (3, Gen.Constant(false)))
        from reconfigure in Gen.Frequency((1, Gen.Constant(true)), (12, Gen.Constant(false)))
        select new Step(mac, to, port, vlan, arp, reconfigure)));

    // Each VM keeps one address, so an IP → MAC entry learned from a flow's first packet is what every later
    // packet of that flow would teach: the table does not depend on which packets missed the cache.
    [Property(MaxTest = 100)]
    public Property Cached_VLAN_decisions_deliver_the_same_frames_as_simulating_every_packet_from_scratch() =>
        Prop.ForAll(Steps, steps => CacheTransparency.Check(Topology(), steps,
            (topology, step) =>
            {
                if (!step.Reconfigure) return null;
                // b10 moves between VLAN 10 and VLAN 20.
                int next = topology.Device("br").FindPort("b10")!.Vlan == 10 ? 20 : 10;
                return topology.WithChanges(b => b.EditBridge("br", bridge => bridge.RemovePort("b10").Port("b10", exterior: "b10", vlan: next)));
            },
            step => (Ports[step.Port], step.Arp ? ArpRequest(step.FromMac, Ip(step.ToMac == 0 ? 50 : step.ToMac), step.Vlan) : Udp(step.FromMac, step.ToMac, step.Vlan))));
}
