using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Devices;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.State;

namespace NetFabric.Simulation.Tests.Devices;

using NetFabric.Simulation.Topology;

public class RouterEcmpTests
{
    private static readonly MacAddress Host = MacAddress.Parse("02:00:00:00:00:aa");
    private static readonly MacAddress P1Mac = MacAddress.Parse("02:00:00:00:01:01");

    private readonly TopologySnapshot _topology = RouterTests.ThreePortRouter(r => r
        .Route("10.0.0.0/8", port: "p2", gateway: "198.18.2.254")
        .Route("10.0.0.0/8", port: "p3", gateway: "198.18.3.254")
        .Route("172.16.0.0/16", port: "p2", gateway: "198.18.2.254"));

    private readonly Router _router;
    private readonly SimulationContext _context = new();

    public RouterEcmpTests()
    {
        _router = new Router((RouterDefinition)_topology.Device("r1"), _topology, new ArpCache(new ManualTime()));
        foreach (var (address, mac) in new[] { ("198.18.2.254", "02:00:00:00:02:fe"), ("198.18.3.254", "02:00:00:00:03:fe") })
        {
            var ip = IPv4Address.Parse(address);
            _router.ArpCache.Resolve(ip);
            Assert.True(_router.ArpCache.LearnSolicited(ip, MacAddress.Parse(mac)));
        }
    }

    private ulong Port(string name) => _topology.Port("r1/" + name).Id.Value;

    private DeviceVerdict Simulate(string destination, ushort sourcePort)
    {
        var frame = new byte[128];
        int length = IpFrames.WriteUdp(frame, Host, P1Mac, IPv4Address.Parse("198.18.1.10"), IPv4Address.Parse(destination), sourcePort, 53, new byte[10]);
        FlowKey.Extract(frame.AsSpan(0, length), 1, out var key);
        _context.Reset(key);
        return _router.Process(_context, Port("p1"));
    }

    [Fact]
    public void Equal_cost_routes_spread_flows_over_both_egress_ports_and_a_flow_always_picks_the_same_one()
    {
        var chosen = new Dictionary<ushort, ulong>();
        for (ushort sourcePort = 40000; sourcePort < 40064; sourcePort++)
        {
            var verdict = Simulate("10.9.8.7", sourcePort);
            Assert.Equal(VerdictKind.Forward, verdict.Kind);
            chosen[sourcePort] = Assert.Single(verdict.Ports);
        }
        Assert.Equal([Port("p2"), Port("p3")], chosen.Values.Distinct().Order());
        foreach (var (sourcePort, port) in chosen)
            Assert.Equal(port, Assert.Single(Simulate("10.9.8.7", sourcePort).Ports));
    }

    [Fact]
    public void An_equal_cost_flow_matches_the_hashed_fields_and_a_single_route_flow_does_not()
    {
        Simulate("10.9.8.7", 40000);
        var mask = _context.Mask.Bits;
        Assert.Equal(ushort.MaxValue, mask.TransportSource);
        Assert.Equal(ushort.MaxValue, mask.TransportDestination);
        Assert.Equal(byte.MaxValue, mask.NetworkProtocol);
        Assert.Equal(0xFFFF_FFFFUL, mask.NetworkSource.Lower);

        var verdict = Simulate("172.16.1.1", 40000);
        Assert.Equal(Port("p2"), Assert.Single(verdict.Ports));
        mask = _context.Mask.Bits;
        Assert.Equal(0, mask.TransportSource);
        Assert.Equal(0, mask.TransportDestination);
    }
}
