using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;
using NetFabric.Datapath.Tests.Support;
using NetFabric.Testing;

namespace NetFabric.Datapath.Tests.Pipeline;

/// Two Linux network namespaces are the hosts; their veths' root-side ends are AfPacketPorts of a NetFabric
/// pipeline running the learning switch. The kernel's own ping and UDP stack are the peers.
public class LearningSwitchRealPeersTests
{
    [Fact]
    public async Task Kernel_ping_and_a_udp_transfer_between_two_namespaces_cross_the_pipeline_and_hit_the_flow_cache()
    {
        NetworkNamespaces.SkipUnlessRoot();
        using var net = new NetworkNamespaces();
        string ns1 = net.Name("a"), ns2 = net.Name("b");
        net.CreateHost(ns1, net.Name("a0"), net.Name("a1"), "198.18.0.1/24", "02:00:00:00:00:01");
        net.CreateHost(ns2, net.Name("b0"), net.Name("b1"), "198.18.0.2/24", "02:00:00:00:00:02");

        using var pool = new PacketPool(4096);
        using var port1 = new AfPacketPort(net.Name("a0"), pool);
        using var port2 = new AfPacketPort(net.Name("b0"), pool);
        using var pipeline = new PacketPipeline(new PipelineOptions { Workers = 1, PinThreads = false, IdlePollsBeforeSleep = 256 });
        pipeline.AddPort(port1);
        pipeline.AddPort(port2);
        var learningSwitch = new LearningSwitch(pipeline);
        pipeline.Resolver = learningSwitch;
        pipeline.Start();
        try
        {
            var ping = net.TryExec(ns1, "ping", "-c", "5", "-i", "0.2", "-W", "2", "198.18.0.2");
            Assert.True(ping.ExitCode == 0, $"ping failed through the pipeline:\n{ping.StandardOutput}\n{ping.StandardError}");
            Assert.Contains("5 received", ping.StandardOutput);

            // 200 datagrams from ns1 to a receiver in ns2, counted intact on arrival.
            Assert.Equal(200, await net.UdpTransferAsync(ns1, ns2, "198.18.0.2", 9000, 200));
        }
        finally
        {
            pipeline.Stop();
        }

        var stats = pipeline.Statistics;
        Assert.True(stats.ExactMatchHits + stats.MegaflowHits > 200, $"expected cache hits: {stats}");
        Assert.True(stats.Upcalls < 20, $"expected few upcalls (ARP, first packets), got {stats}");
        Assert.Contains(pipeline.Flows.Entries, flow => flow.Packets > 100);
        Assert.Equal(1u, learningSwitch.MacTable[(0, MacAddress.Parse("02:00:00:00:00:01"))]);
        Assert.Equal(2u, learningSwitch.MacTable[(0, MacAddress.Parse("02:00:00:00:00:02"))]);
    }
}
