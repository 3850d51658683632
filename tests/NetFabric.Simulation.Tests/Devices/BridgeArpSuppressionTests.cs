using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Devices;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.Tests.Engine;

namespace NetFabric.Simulation.Tests.Devices;

using NetFabric.Simulation.Topology;

public class BridgeArpSuppressionTests
{
    private static readonly MacAddress RouterMac = MacAddress.Parse("02:00:00:00:01:01");
    private static readonly IPv4Address RouterIp = IPv4Address.Parse("198.18.0.254");
    private static readonly IPv4Address StaticIp = IPv4Address.Parse("198.18.0.50");
    private static readonly MacAddress StaticMac = MacAddress.Parse("02:00:00:00:00:50");

    private static MacAddress Mac(int vm) => new(0x0200_0000_0000UL | (uint)vm);

    private static IPv4Address Ip(int vm) => new(0xC612_0000u | (uint)vm);

    private static TopologySnapshot Topology() => new TopologyBuilder()
        .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("vm2", exterior: "vm2").Port("vm3", exterior: "vm3").Port("r")
            .StaticArp("198.18.0.50", "02:00:00:00:00:50"))
        .Router("r1", r => r.Port("p1", mac: "02:00:00:00:01:01", address: "198.18.0.254/24"))
        .Link("br1/r", "r1/p1")
        .Build();

    private static byte[] Request(int from, IPv4Address target)
    {
        var frame = new byte[ArpFrames.Length];
        return frame[..ArpFrames.WriteRequest(frame, Mac(from), Ip(from), target)];
    }

    // The bridge alone, as the engine would call it for a frame arriving on `port`.
    private static DeviceVerdict Simulate(Bridge bridge, SimulationContext context, ulong port, byte[] frame)
    {
        FlowKey.Extract(frame, 1, out var key);
        context.Reset(key);
        return bridge.Process(context, port);
    }

    private static void AssertReply(byte[] frame, int to, MacAddress answer, IPv4Address target)
    {
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        Assert.Equal(Mac(to), ethernet.Destination);
        Assert.Equal(EtherType.Arp, ethernet.EtherType);
        Assert.True(ArpPacket.TryRead(ethernet.Payload, out var arp));
        Assert.Equal(ArpPacket.OperationReply, arp.Operation);
        Assert.Equal(answer, arp.SenderHardwareAddress);
        Assert.Equal(target, arp.SenderProtocolAddress);
        Assert.Equal(Mac(to), arp.TargetHardwareAddress);
        Assert.Equal(Ip(to), arp.TargetProtocolAddress);
    }

    [Fact]
    public void A_request_for_a_linked_router_port_is_answered_by_the_bridge_and_not_flooded()
    {
        using var network = new VirtualNetwork(Topology());
        network.Send("vm1", Request(1, RouterIp));
        AssertReply(Assert.Single(network.Receive("vm1")), 1, RouterMac, RouterIp);
        Assert.Empty(network.Receive("vm2"));
        Assert.Empty(network.Receive("vm3"));
    }

    [Fact]
    public void A_request_for_a_static_ARP_entry_is_answered_by_the_bridge()
    {
        using var network = new VirtualNetwork(Topology());
        network.Send("vm2", Request(2, StaticIp));
        AssertReply(Assert.Single(network.Receive("vm2")), 2, StaticMac, StaticIp);
        Assert.Empty(network.Receive("vm1"));
        Assert.Empty(network.Receive("vm3"));
    }

    [Fact]
    public void A_request_for_an_unknown_address_is_flooded()
    {
        using var network = new VirtualNetwork(Topology());
        network.Send("vm1", Request(1, IPv4Address.Parse("198.18.0.99")));
        Assert.Empty(network.Receive("vm1"));
        Assert.Single(network.Receive("vm2"));
        Assert.Single(network.Receive("vm3"));
    }

    [Fact]
    public void A_sender_learned_from_a_passing_ARP_is_answered_for_later()
    {
        using var network = new VirtualNetwork(Topology());
        network.Send("vm2", Request(2, IPv4Address.Parse("198.18.0.99")));
        Assert.Single(network.Receive("vm1"));
        Assert.Single(network.Receive("vm3"));

        network.Send("vm1", Request(1, Ip(2)));
        AssertReply(Assert.Single(network.Receive("vm1")), 1, Mac(2), Ip(2));
        Assert.Empty(network.Receive("vm2"));
        Assert.Empty(network.Receive("vm3"));
    }

    [Fact]
    public void Answers_carry_the_entry_tag_and_learning_a_changed_MAC_raises_a_change()
    {
        var bridge = new Bridge(100, "br0", [1, 2, 3]);
        var changes = new List<IPv4Address>();
        bridge.ArpEntryChanged += (vlan, address) => changes.Add(address);
        var context = new SimulationContext();

        void Send(ulong port, byte[] frame) => Simulate(bridge, context, port, frame);

        Send(2, Request(2, Ip(1)));
        Assert.Equal([Ip(2)], changes);
        Send(2, Request(2, Ip(1)));
        Assert.Single(changes); // the same MAC again is no change

        Send(1, Request(1, Ip(2)));
        Assert.Equal(VerdictKind.Consume, bridge.Process(context, 1).Kind);
        Assert.Contains(bridge.ArpTag(0, Ip(2)), context.Tags);
        Assert.NotEqual(bridge.ArpTag(0, Ip(2)), bridge.MacTag(0, Mac(2)));

        var moved = new byte[ArpFrames.Length];
        ArpFrames.WriteRequest(moved, Mac(9), Ip(2), Ip(1));
        Send(3, moved);
        Assert.Equal(2, changes.Count(a => a == Ip(2)));
        Assert.True(bridge.TryGetArpEntry(0, Ip(2), out var now));
        Assert.Equal(Mac(9), now);
    }

    [Fact]
    public void What_a_host_claims_never_changes_a_linked_router_port_or_a_static_entry()
    {
        using var network = new VirtualNetwork(Topology());
        // vm3 claims the gateway's and the static host's addresses (gratuitous ARP, a spoofing attempt).
        var claim = new byte[ArpFrames.Length];
        network.Send("vm3", claim[..ArpFrames.WriteRequest(claim, Mac(3), RouterIp, RouterIp)]);
        network.Send("vm3", claim[..ArpFrames.WriteRequest(claim, Mac(3), StaticIp, StaticIp)]);
        network.Receive("vm1");
        network.Receive("vm2");

        network.Send("vm1", Request(1, RouterIp));
        AssertReply(Assert.Single(network.Receive("vm1")), 1, RouterMac, RouterIp);
        network.Send("vm1", Request(1, StaticIp));
        AssertReply(Assert.Single(network.Receive("vm1")), 1, StaticMac, StaticIp);
    }

    [Fact]
    public void A_learned_address_ages_once_nothing_relies_on_it_unless_traffic_shows_it_again_and_configured_ones_never_age()
    {
        var bridge = new Bridge(100, "br0", [1, 2, 3]);
        bridge.AddStaticArpEntry(StaticIp, StaticMac);
        var forgotten = new List<IPv4Address>();
        bridge.ArpEntryChanged += (vlan, address) => forgotten.Add(address);
        var context = new SimulationContext();
        void Send(ulong port, byte[] frame) => Simulate(bridge, context, port, frame);
        var ageing = TimeSpan.FromSeconds(300);
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        bool referenced = false;
        int Age() => bridge.AgeArpEntries(now, ageing, (vlan, address) => referenced);

        Send(1, Request(1, Ip(9)));
        Send(2, Request(2, Ip(9)));
        forgotten.Clear();

        // A cached flow relies on the entries: however long, they stay.
        referenced = true;
        Age();
        now += 3 * ageing;
        Assert.Equal(0, Age());

        // Nothing relies on them: noted idle, then forgotten after the ageing time — except vm2, seen again meanwhile.
        referenced = false;
        Age();
        now += ageing - TimeSpan.FromSeconds(1);
        Send(2, Request(2, Ip(9)));
        Assert.Equal(0, Age());
        now += TimeSpan.FromSeconds(1);
        Assert.Equal(1, Age());
        Assert.Equal([Ip(1)], forgotten);
        Assert.False(bridge.TryGetArpEntry(0, Ip(1), out _));
        Assert.True(bridge.TryGetArpEntry(0, Ip(2), out _));

        // The static entry outlives everything.
        now += 10 * ageing;
        Age();
        Age();
        Assert.False(bridge.TryGetArpEntry(0, Ip(2), out _));
        Assert.True(bridge.TryGetArpEntry(0, StaticIp, out var mac));
        Assert.Equal(StaticMac, mac);
    }
}
