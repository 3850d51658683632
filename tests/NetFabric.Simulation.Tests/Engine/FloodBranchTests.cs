using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;

namespace NetFabric.Simulation.Tests.Engine;

using NetFabric.Simulation.Topology;
using static NetFabric.Simulation.Tests.Topology.TwoSubnets;

/// Floods whose branches change the packet differently: each copy leaves with its own branch's changes only.
public class FloodBranchTests
{
    /// vm1 and vm3 share br1 with the router; vm2 sits behind br2, whose static ARP lets the router route at once.
    private static TopologySnapshot SubnetsWithNeighbour() => Builder()
        .EditBridge("br1", b => b.Port("vm3", exterior: "vm3"))
        .EditBridge("br2", b => b.StaticArp("198.18.2.20", "02:00:00:00:00:14"))
        .Build();

    private static byte[] UdpToVm2()
    {
        var frame = new byte[128];
        int length = IpFrames.WriteUdp(frame, Vm1Mac, GatewayMac1, Vm1Ip, Vm2Ip, 4000, 5000, new byte[10]);
        return frame[..length];
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_flood_that_crosses_a_router_rewrites_only_the_routed_copy(bool cache)
    {
        using var net = new VirtualNetwork(SubnetsWithNeighbour(), cache);
        var sent = UdpToVm2();
        // br1 has not learned the gateway's MAC yet: the frame floods to vm3 and into the router.
        for (int round = 0; round < 3; round++)
        {
            net.Send("vm1", sent);
            Assert.Equal(sent, Assert.Single(net.Receive("vm3")));
            var routed = Assert.Single(net.Receive("vm2"));
            Assert.True(EthernetHeader.TryRead(routed, out var ethernet));
            Assert.Equal(GatewayMac2, ethernet.Source);
            Assert.Equal(Vm2Mac, ethernet.Destination);
            Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
            Assert.Equal(63, ip.TimeToLive);
            Assert.True(ip.IsChecksumValid);
            Assert.Empty(net.Receive("vm1"));
        }
        if (cache)
        {
            var flow = Assert.Single(net.Pipeline.Flows.Entries);
            // The unchanged copy goes first; the routed copy's rewrites come after it.
            Assert.Matches(@"^output:\d+,dec_ttl,set_field:02:00:00:00:02:01->eth_src,set_field:02:00:00:00:00:14->eth_dst,output:\d+$", flow.Actions.ToString());
        }
    }

    [Fact]
    public void A_trace_of_the_flood_shows_both_branches_and_their_programs()
    {
        using var net = new VirtualNetwork(SubnetsWithNeighbour());
        var trace = net.Engine.Trace(1, UdpToVm2());
        string text = trace.ToString();
        Assert.Contains("r1", text);
        Assert.Contains("dec_ttl", text);
        Assert.Equal(2, trace.Outcome.Split(',').Length);
    }

    /// A device that floods to all its other ports and stamps each copy with its own UDP destination port.
    private sealed class Stamper(ulong id, IReadOnlyList<ulong> ports) : IVirtualDevice
    {
        public ulong Id => id;
        public string Name => "stamper";

        public DeviceVerdict Process(SimulationContext context, ulong ingressPort) =>
            DeviceVerdict.Flood([.. ports.Where(p => p != ingressPort)], "stamp every copy");

        public void Egress(SimulationContext context, ulong egressPort) =>
            context.SetTransportDestination((ushort)(7000 + ports.ToList().IndexOf(egressPort)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Per_port_changes_made_on_egress_reach_only_that_ports_copy(bool cache)
    {
        var topology = new TopologyBuilder()
            .Bridge("sw", b => b.Port("in", exterior: "vm1").Port("a", exterior: "vm2").Port("b", exterior: "vm3").Port("c", exterior: "vm4"))
            .Build();
        using var net = new VirtualNetwork(topology, cache);
        var device = topology.Device("sw");
        net.Engine.Register(device.Id, new Stamper(device.Id.Tag, [.. device.Ports.Select(p => p.Id.Value)]));
        var sent = UdpToVm2();
        for (int round = 0; round < 2; round++)
        {
            net.Send("vm1", sent);
            foreach (var (vm, port) in new[] { ("vm2", 7001), ("vm3", 7002), ("vm4", 7003) })
            {
                var frame = Assert.Single(net.Receive(vm));
                Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
                Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
                Assert.True(UdpHeader.TryRead(ip.Payload, out var udp));
                Assert.Equal(port, udp.DestinationPort);
                Assert.Equal(4000, udp.SourcePort);
            }
        }
        if (cache) Assert.Equal(2, Assert.Single(net.Pipeline.Flows.Entries).Actions.ToString().Split("clone(").Length - 1);
    }
}
