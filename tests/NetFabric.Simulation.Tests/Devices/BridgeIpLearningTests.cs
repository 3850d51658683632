using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Devices;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.Tests.Engine;

namespace NetFabric.Simulation.Tests.Devices;

using NetFabric.Simulation.Topology;

/// The bridge's per-VLAN IP → MAC table learns from IPv4 packets' sources (seed 001 §6) without its flows matching
/// on L3, and ARP-suppression decisions are invalidated per (VLAN, address) when an entry's MAC changes.
public class BridgeIpLearningTests
{
    private static MacAddress Mac(int vm) => new(0x0200_0000_0000UL | (uint)vm);

    private static IPv4Address Ip(int vm) => new(0xC612_0000u | (uint)vm);

    /// a10 and b10 access ports of VLAN 10, c20 and d20 of VLAN 20, t1 a trunk.
    private static TopologySnapshot Topology() => new TopologyBuilder()
        .Bridge("br", b => b.Port("a10", exterior: "a10", vlan: 10).Port("b10", exterior: "b10", vlan: 10)
            .Port("c20", exterior: "c20", vlan: 20).Port("d20", exterior: "d20", vlan: 20).Port("t1", exterior: "t1"))
        .Build();

    /// A UDP frame from <paramref name="sourceIp"/> at vm <paramref name="from"/>'s MAC to vm <paramref name="to"/>.
    private static byte[] Udp(int from, IPv4Address sourceIp, int to)
    {
        var frame = new byte[96];
        return frame[..IpFrames.WriteUdp(frame, Mac(from), Mac(to), sourceIp, Ip(to), 5000, 5000, new byte[10])];
    }

    private static byte[] ArpRequest(int from, IPv4Address target)
    {
        var frame = new byte[ArpFrames.Length];
        return frame[..ArpFrames.WriteRequest(frame, Mac(from), Ip(from), target)];
    }

    /// The MAC an ARP reply in <paramref name="frame"/> announces for <paramref name="target"/>.
    private static MacAddress Answer(byte[] frame, IPv4Address target)
    {
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        Assert.True(ArpPacket.TryRead(ethernet.Payload, out var arp));
        Assert.Equal(ArpPacket.OperationReply, arp.Operation);
        Assert.Equal(target, arp.SenderProtocolAddress);
        return arp.SenderHardwareAddress;
    }

    private static Bridge BridgeOf(VirtualNetwork net) => (Bridge)net.Engine.Device(net.Engine.Topology.Device("br").Id);

    [Fact]
    public void An_IPv4_packet_teaches_the_bridge_to_answer_ARP_for_its_source_in_the_same_VLAN()
    {
        using var net = new VirtualNetwork(Topology());
        net.Send("a10", Udp(1, Ip(1), 9));
        foreach (var vm in net.Vms) net.Receive(vm);

        net.Send("b10", ArpRequest(2, Ip(1)));
        Assert.Equal(Mac(1), Answer(Assert.Single(net.Receive("b10")), Ip(1)));
        Assert.Empty(net.Receive("a10"));
        Assert.Empty(net.Receive("t1"));
    }

    [Fact]
    public void An_address_learned_in_one_VLAN_is_not_answered_for_in_another()
    {
        using var net = new VirtualNetwork(Topology());
        net.Send("a10", Udp(1, Ip(1), 9));
        foreach (var vm in net.Vms) net.Receive(vm);

        net.Send("c20", ArpRequest(3, Ip(1)));
        Assert.Empty(net.Receive("c20"));
        Assert.Single(net.Receive("d20")); // flooded within VLAN 20
        Assert.Single(net.Receive("t1"));
        Assert.Empty(net.Receive("a10"));
        Assert.True(BridgeOf(net).TryGetArpEntry(10, Ip(1), out _));
        Assert.False(BridgeOf(net).TryGetArpEntry(20, Ip(1), out _));
    }

    [Fact]
    public void The_flow_of_a_teaching_packet_matches_no_L3_or_L4_field()
    {
        using var net = new VirtualNetwork(Topology());
        net.Send("a10", Udp(1, Ip(1), 9));
        var flow = Assert.Single(net.Pipeline.Flows.Entries);
        var mask = flow.Match.Mask.Bits;
        Assert.Equal(default, mask.NetworkSource);
        Assert.Equal(default, mask.NetworkDestination);
        Assert.Equal(0, mask.NetworkProtocol);
        Assert.Equal(0, mask.TransportSource);
        Assert.Equal(0, mask.TransportDestination);
        Assert.Equal(MacAddress.Broadcast, mask.EthernetSource);
        Assert.Equal(MacAddress.Broadcast, mask.EthernetDestination);
        Assert.True(BridgeOf(net).TryGetArpEntry(10, Ip(1), out var learned));
        Assert.Equal(Mac(1), learned);

        // Another source address behind the same MACs hits the same flow: the cache does not re-learn (documented).
        long upcalls = net.Pipeline.Statistics.Upcalls;
        net.Send("a10", Udp(1, Ip(7), 9));
        Assert.Equal(upcalls, net.Pipeline.Statistics.Upcalls);
    }

    [Fact]
    public void Unspecified_broadcast_and_multicast_sources_and_linked_router_MACs_teach_nothing()
    {
        var bridge = new Bridge(100, "br0", [1, 2, 3], accessVlans: new Dictionary<ulong, int> { [1] = 10 });
        var routerMac = MacAddress.Parse("02:00:00:00:01:01");
        bridge.AddRouterPort(10, IPv4Address.Parse("198.18.0.254"), routerMac);
        var changes = new List<(int, IPv4Address)>();
        bridge.ArpEntryChanged += (vlan, address) => changes.Add((vlan, address));
        var context = new SimulationContext();

        void Send(MacAddress sourceMac, IPv4Address sourceIp)
        {
            var frame = new byte[96];
            int length = IpFrames.WriteUdp(frame, sourceMac, Mac(9), sourceIp, Ip(9), 68, 67, new byte[10]);
            FlowKey.Extract(frame.AsSpan(0, length), 1, out var key);
            context.Reset(key);
            bridge.Process(context, 1);
        }

        Send(Mac(1), IPv4Address.Any);
        Send(Mac(1), IPv4Address.Broadcast);
        Send(Mac(1), IPv4Address.Parse("224.0.0.251"));
        Send(MacAddress.Parse("01:00:5e:00:00:fb"), Ip(5));
        Send(routerMac, IPv4Address.Parse("203.0.113.7")); // a routed packet from another subnet
        Assert.Empty(changes);
        Assert.False(bridge.TryGetArpEntry(10, IPv4Address.Parse("203.0.113.7"), out _));

        Send(Mac(1), Ip(1));
        Assert.Equal([(10, Ip(1))], changes);
        Assert.Equal(default, context.Mask.Bits.NetworkSource);
    }

    [Fact]
    public void Learning_an_address_invalidates_the_flooded_requests_for_it_in_its_VLAN_only()
    {
        using var net = new VirtualNetwork(Topology());
        var bridge = BridgeOf(net);
        net.Send("b10", ArpRequest(2, Ip(1))); // unknown in VLAN 10: flooded, cached
        net.Send("d20", ArpRequest(4, Ip(1))); // unknown in VLAN 20: flooded, cached
        foreach (var vm in net.Vms) net.Receive(vm);
        Assert.Contains(net.Pipeline.Flows.Entries, e => e.Tags.Contains(bridge.ArpTag(10, Ip(1))));
        Assert.Contains(net.Pipeline.Flows.Entries, e => e.Tags.Contains(bridge.ArpTag(20, Ip(1))));
        Assert.NotEqual(bridge.ArpTag(10, Ip(1)), bridge.ArpTag(20, Ip(1)));

        net.Send("a10", Udp(1, Ip(1), 9)); // vm1 learned in VLAN 10
        foreach (var vm in net.Vms) net.Receive(vm);
        Assert.DoesNotContain(net.Pipeline.Flows.Entries, e => e.Tags.Contains(bridge.ArpTag(10, Ip(1))));
        Assert.Contains(net.Pipeline.Flows.Entries, e => e.Tags.Contains(bridge.ArpTag(20, Ip(1))));

        net.Send("b10", ArpRequest(2, Ip(1))); // now answered
        Assert.Equal(Mac(1), Answer(Assert.Single(net.Receive("b10")), Ip(1)));
        Assert.Empty(net.Receive("a10"));
        net.Send("d20", ArpRequest(4, Ip(1))); // still flooded in VLAN 20, from its cached flow
        Assert.Single(net.Receive("c20"));
        Assert.Empty(net.Receive("d20"));
    }

    [Fact]
    public void An_entry_that_changes_MAC_invalidates_the_decisions_that_relied_on_the_old_MAC()
    {
        using var net = new VirtualNetwork(Topology());
        var bridge = BridgeOf(net);
        net.Send("a10", Udp(1, Ip(5), 9)); // vm1 claims 198.18.0.5
        foreach (var vm in net.Vms) net.Receive(vm);

        // vm1 asks for the address it is recorded with: the bridge does not answer a host about itself, it floods,
        // and that flood is cached — relying on the entry's current MAC.
        var selfRequest = new byte[ArpFrames.Length];
        ArpFrames.WriteRequest(selfRequest, Mac(1), Ip(1), Ip(5));
        net.Send("a10", selfRequest);
        Assert.Single(net.Receive("b10"));
        var tag = bridge.ArpTag(10, Ip(5));
        Assert.Contains(net.Pipeline.Flows.Entries, e => e.Tags.Contains(tag));

        // An answer carries the entry's tag too (answers themselves are never cached).
        uint a10 = net.Pipeline.Flows.Entries.First(e => e.Match.Key.EthernetSource == Mac(1)).Match.Key.InPort;
        var trace = net.Engine.Trace(a10, ArpRequest(3, Ip(5)));
        Assert.Contains("answered with " + Mac(1), Assert.Single(trace.Hops).Reason, StringComparison.Ordinal);
        Assert.Contains(tag, trace.Tags);

        long invalidated = net.Pipeline.Flows.Statistics.Invalidated;
        net.Send("b10", Udp(2, Ip(5), 9)); // 198.18.0.5 moves to vm2's MAC
        foreach (var vm in net.Vms) net.Receive(vm);
        Assert.True(bridge.TryGetArpEntry(10, Ip(5), out var now));
        Assert.Equal(Mac(2), now);
        Assert.DoesNotContain(net.Pipeline.Flows.Entries, e => e.Tags.Contains(tag));
        Assert.True(net.Pipeline.Flows.Statistics.Invalidated > invalidated);

        net.Send("a10", selfRequest); // now answered with the new MAC instead of flooded
        Assert.Equal(Mac(2), Answer(Assert.Single(net.Receive("a10")), Ip(5)));
        Assert.Empty(net.Receive("b10"));
    }
}
