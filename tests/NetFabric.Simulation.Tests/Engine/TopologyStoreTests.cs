using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.State;

namespace NetFabric.Simulation.Tests.Engine;

using NetFabric.Simulation.Topology;

public class TopologyStoreTests
{
    private static TopologySnapshot TwoBridges() => new TopologyBuilder()
        .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("vm2", exterior: "vm2"))
        .Bridge("br2", b => b.Port("vm3", exterior: "vm3").Port("vm4", exterior: "vm4"))
        .Build();

    private static byte[] Udp(int from, int to)
    {
        var frame = new byte[80];
        int length = IpFrames.WriteUdp(frame, new MacAddress(0x0200_0000_0000UL | (uint)from), new MacAddress(0x0200_0000_0000UL | (uint)to),
            new IPv4Address(0xC612_0000u | (uint)from), new IPv4Address(0xC612_0000u | (uint)to), 5000, 5000, new byte[10]);
        return frame[..length];
    }

    [Fact]
    public void A_change_applied_to_the_store_reaches_a_following_engine_and_invalidates_the_changed_device_only()
    {
        var store = new InProcessTopologyStore(TwoBridges());
        using var net = new VirtualNetwork(store.Current);
        using var subscription = net.Engine.Follow(store);
        net.Send("vm1", Udp(1, 2));
        net.Send("vm3", Udp(3, 4));
        Assert.Equal(2, net.Pipeline.Flows.Count);

        var versions = new List<long>();
        store.Changed += (_, next) => versions.Add(next.Version);
        var next = store.Apply(b => b.EditBridge("br2", bridge => bridge.Port("spare", exterior: "spare-tap")));

        Assert.Equal([next.Version], versions);
        Assert.Same(next, net.Engine.Topology);
        Assert.Equal(Udp(1, 2).Length, Assert.Single(net.Pipeline.Flows.Entries).Bytes);
    }

    [Fact]
    public void An_invalid_change_is_rejected_whole_and_nothing_is_published()
    {
        var store = new InProcessTopologyStore(TwoBridges());
        var before = store.Current;
        int notifications = 0;
        store.Changed += (_, _) => notifications++;
        var error = Assert.Throws<TopologyValidationException>(() => store.Apply(b => b.EditBridge("br1", bridge => bridge.Port("vm2", exterior: "vm2"))));
        Assert.Contains("br1", error.Message);
        Assert.Same(before, store.Current);
        Assert.Equal(0, notifications);
    }

    [Fact]
    public void Disposing_the_subscription_stops_following()
    {
        var store = new InProcessTopologyStore(TwoBridges());
        using var engine = new DecisionEngine(store.Current, new Dictionary<string, uint>());
        var subscription = engine.Follow(store);
        store.Apply(b => b.EditBridge("br1", bridge => bridge.Port("spare", exterior: "spare-tap")));
        Assert.Same(store.Current, engine.Topology);
        subscription.Dispose();
        store.Apply(b => b.EditBridge("br2", bridge => bridge.Port("spare", exterior: "spare-tap2")));
        Assert.NotSame(store.Current, engine.Topology);
    }
}
