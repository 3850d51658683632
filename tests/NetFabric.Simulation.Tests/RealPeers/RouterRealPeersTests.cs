using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.Tests.Topology;
using NetFabric.Testing;

namespace NetFabric.Simulation.Tests.RealPeers;

using NetFabric.Simulation.Topology;

/// Linux network namespaces are VMs on two subnets; their veths' root-side ends are AfPacketPorts of a pipeline
/// whose resolver simulates a bridge per subnet and a router between them. The kernel's ARP, ping and UDP stack
/// are the peers.
public class RouterRealPeersTests
{
    [Fact]
    public async Task Namespaces_on_two_subnets_ping_and_move_UDP_and_TCP_through_the_virtual_router()
    {
        NetworkNamespaces.SkipUnlessRoot();
        using var net = new NetworkNamespaces();
        string vm1 = net.Name("v1"), vm2 = net.Name("v2"), tap1 = net.Name("t1"), tap2 = net.Name("t2");
        net.CreateHost(vm1, tap1, net.Name("e1"), "198.18.1.10/24", "02:00:00:00:01:0a");
        net.CreateHost(vm2, tap2, net.Name("e2"), "198.18.2.20/24", "02:00:00:00:02:14");
        net.Exec(vm1, "ip", "route", "add", "default", "via", "198.18.1.1");
        net.Exec(vm2, "ip", "route", "add", "default", "via", "198.18.2.1");

        var topology = TwoSubnets.Builder(vm1Exterior: tap1, vm2Exterior: tap2).Build();

        using var pool = new PacketPool(4096);
        using var port1 = new AfPacketPort(tap1, pool);
        using var port2 = new AfPacketPort(tap2, pool);
        using var pipeline = new PacketPipeline(new PipelineOptions { Workers = 1, PinThreads = false, IdlePollsBeforeSleep = 256 });
        var interfaces = new Dictionary<string, uint> { [tap1] = pipeline.AddPort(port1), [tap2] = pipeline.AddPort(port2) };
        using var engine = new DecisionEngine(topology, interfaces) { Flows = pipeline.Flows };
        pipeline.Resolver = engine;
        pipeline.Start();
        try
        {
            // Across subnets: both VMs resolve their gateway by ARP, the router resolves each VM, and the reply
            // arrives with the TTL decremented by exactly one hop (Linux sends with 64).
            var ping = net.TryExec(vm1, "ping", "-c", "4", "-i", "0.3", "-W", "2", "198.18.2.20");
            Assert.True(ping.ExitCode == 0, $"ping across the router failed:\n{ping.StandardOutput}\n{ping.StandardError}");
            Assert.Contains("ttl=63", ping.StandardOutput);

            // TTL 1 expires at the router: the kernel reports the router port's time-exceeded message.
            var expired = net.TryExec(vm1, "ping", "-c", "1", "-t", "1", "-W", "2", "198.18.2.20");
            Assert.Contains("198.18.1.1", expired.StandardOutput);
            Assert.Contains("Time to live exceeded", expired.StandardOutput);

            // A UDP transfer and a 1 MiB TCP transfer across the router (the kernel's TCP checks every checksum and sequence).
            Assert.Equal(100, await net.UdpTransferAsync(vm1, vm2, "198.18.2.20", 9000, 100));
            Assert.Equal(1_048_576, await net.TcpTransferAsync(vm1, vm2, "198.18.2.20", 9100, 1_048_576));
        }
        finally
        {
            pipeline.Stop();
        }
        var stats = pipeline.Statistics;
        Assert.True(stats.ExactMatchHits + stats.MegaflowHits > 100, stats.ToString());
    }
}
