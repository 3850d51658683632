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

            // 200 datagrams from ns1 to a receiver in ns2, which prints how many arrived intact.
            const string receiver = "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('198.18.0.2',9000))\ns.settimeout(5)\nn=0\ntry:\n  while n<200:\n    d,_=s.recvfrom(2048)\n    n+= d==b'netfabric'*100\nexcept socket.timeout: pass\nprint(n)\n";
            const string sender = "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(200):\n  s.sendto(b'netfabric'*100,('198.18.0.2',9000))\n  time.sleep(0.002)\n";
            var receiving = Task.Run(() => net.TryExec(ns2, "/usr/bin/python3", "-c", receiver));
            Thread.Sleep(300); // let the receiver bind
            var sent = net.TryExec(ns1, "/usr/bin/python3", "-c", sender);
            Assert.True(sent.ExitCode == 0, sent.StandardError);
            var received = await receiving;
            Assert.True(received.ExitCode == 0, received.StandardError);
            Assert.Equal("200", received.StandardOutput.Trim());
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
