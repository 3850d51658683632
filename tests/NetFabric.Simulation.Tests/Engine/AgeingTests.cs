using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Devices;
using NetFabric.Simulation.State;
using NetFabric.Simulation.Tests.Devices;
using NetFabric.Simulation.Tests.Topology;

namespace NetFabric.Simulation.Tests.Engine;

using NetFabric.Simulation.Topology;

/// Learned state ages by reference: a MAC entry lives while cached flows rely on it, and for the ageing time
/// after the last one goes; an ARP entry past its lifetime takes the flows that used it along.
public class AgeingTests
{
    private static MacAddress Mac(int vm) => new(0x0200_0000_0000UL | (uint)vm);

    private static byte[] Udp(int from, int to)
    {
        var frame = new byte[80];
        int length = IpFrames.WriteUdp(frame, Mac(from), Mac(to), new IPv4Address(0xC612_0000u | (uint)from),
            new IPv4Address(0xC612_0000u | (uint)to), 1000, 2000, new byte[10]);
        return frame[..length];
    }

    private static TopologySnapshot OneBridge() => new TopologyBuilder()
        .Bridge("br", b => b.Port("vm1", exterior: "vm1").Port("vm2", exterior: "vm2").Port("vm3", exterior: "vm3"))
        .Build();

    [Fact]
    public void A_MAC_that_flows_rely_on_never_ages_and_ages_after_the_last_flow_goes()
    {
        var time = new ManualTime();
        var topology = OneBridge();
        using var net = new VirtualNetwork(topology, time: time);
        var bridge = (Bridge)net.Engine.Device(topology.Device("br").Id);
        var ageing = net.Engine.MacAgeingTime;

        net.Send("vm2", Udp(2, 1)); // vm2 learned; its flood flow carries vm2's tag
        Assert.True(bridge.MacTable.TryGetPort(0, Mac(2), out _));
        Assert.True(net.Pipeline.Flows.CountByTag(bridge.MacTag(0, Mac(2))) > 0);

        // Long past the ageing time, but a cached flow still relies on the entry: it stays.
        for (int i = 0; i < 3; i++)
        {
            time.Now += ageing;
            net.Engine.Age();
        }
        Assert.True(bridge.MacTable.TryGetPort(0, Mac(2), out _));

        // The flows go (idle timeout, eviction: here all at once); the entry idles for the ageing time, then goes.
        net.Pipeline.Flows.InvalidateAll();
        net.Engine.Age();
        time.Now += ageing - TimeSpan.FromSeconds(1);
        net.Engine.Age();
        Assert.True(bridge.MacTable.TryGetPort(0, Mac(2), out _));
        time.Now += TimeSpan.FromSeconds(1);
        Assert.True(net.Engine.Age() >= 1);
        Assert.False(bridge.MacTable.TryGetPort(0, Mac(2), out _));

        // Forgotten: traffic to vm2 floods again.
        net.Receive("vm1");
        net.Receive("vm3");
        net.Send("vm1", Udp(1, 2));
        Assert.Single(net.Receive("vm2"));
        Assert.Single(net.Receive("vm3"));
    }

    [Fact]
    public void Static_MAC_entries_never_age()
    {
        var time = new ManualTime();
        var topology = new TopologyBuilder()
            .Bridge("br", b => b.Port("vm1", exterior: "vm1").Port("vm2", exterior: "vm2").StaticMac(Mac(2).ToString(), "vm2"))
            .Build();
        using var net = new VirtualNetwork(topology, time: time);
        var bridge = (Bridge)net.Engine.Device(topology.Device("br").Id);
        for (int i = 0; i < 3; i++)
        {
            time.Now += net.Engine.MacAgeingTime;
            net.Engine.Age();
        }
        Assert.True(bridge.MacTable.TryGetPort(0, Mac(2), out _));
    }

    [Fact]
    public void An_expired_ARP_entry_invalidates_the_flows_that_forwarded_with_it()
    {
        var time = new ManualTime();
        var topology = TwoSubnets.Builder().Build();
        using var net = new VirtualNetwork(topology, state: new InProcessStateStore(time), time: time);
        var router = (Router)net.Engine.Device(topology.Device("r1").Id);
        var vm2Ip = TwoSubnets.Vm2Ip;
        // Learn vm2 the way the router does: a request outstanding, then the reply.
        Assert.Equal(ResolveState.SendRequest, router.ArpCache.Resolve(vm2Ip));
        Assert.True(router.ArpCache.LearnSolicited(vm2Ip, Mac(20)));

        var frame = new byte[80];
        int length = IpFrames.WriteUdp(frame, Mac(1), TwoSubnets.GatewayMac1, TwoSubnets.Vm1Ip, vm2Ip, 1000, 2000, new byte[10]);
        net.Send("vm1", frame[..length]);
        Assert.Single(net.Receive("vm2"));
        net.Send("vm1", frame[..length]);
        Assert.Single(net.Receive("vm2"));
        ulong tag = router.ArpTag(vm2Ip);
        Assert.Equal(1, net.Pipeline.Flows.CountByTag(tag));

        net.Engine.Age(); // within the lifetime: nothing happens
        Assert.Equal(1, net.Pipeline.Flows.CountByTag(tag));
        time.Now += router.ArpCache.EntryLifetime;
        Assert.True(net.Engine.Age() >= 1);
        Assert.False(router.ArpCache.TryGet(vm2Ip, out _));
        Assert.Equal(0, net.Pipeline.Flows.CountByTag(tag));
    }

    [Fact]
    public void A_learned_IP_address_nothing_relies_on_is_forgotten_and_requests_for_it_flood_again()
    {
        var time = new ManualTime();
        var topology = OneBridge();
        using var net = new VirtualNetwork(topology, time: time);
        var bridge = (Bridge)net.Engine.Device(topology.Device("br").Id);
        var vm2Ip = new IPv4Address(0xC612_0002u);
        byte[] Request(int from, IPv4Address target)
        {
            var frame = new byte[ArpFrames.Length];
            return frame[..ArpFrames.WriteRequest(frame, Mac(from), new IPv4Address(0xC612_0000u | (uint)from), target)];
        }

        net.Send("vm2", Request(2, new IPv4Address(0xC612_0063u))); // vm2 asks for a stranger: the bridge learns vm2
        net.Receive("vm1");
        net.Receive("vm3");
        net.Send("vm1", Request(1, vm2Ip));
        Assert.Single(net.Receive("vm1")); // answered by the bridge
        Assert.Empty(net.Receive("vm2"));

        net.Engine.Age();
        time.Now += net.Engine.MacAgeingTime;
        Assert.True(net.Engine.Age() >= 1);
        Assert.False(bridge.TryGetArpEntry(0, vm2Ip, out _));

        net.Send("vm1", Request(1, vm2Ip));
        Assert.Empty(net.Receive("vm1"));
        Assert.Single(net.Receive("vm2"));
        Assert.Single(net.Receive("vm3"));
    }
}
