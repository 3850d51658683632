using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Tests.Pipeline;

namespace NetFabric.Datapath.Tests.Dpdk;

/// A learning switch whose ports are DPDK ports: each host is one end of a DPDK ring pair, the other end is a
/// pipeline port. Floods clone mbuf buffers (the clone goes out through the copy path); unicast forwards mbufs as
/// they are.
[Collection("Dpdk")]
public class DpdkPipelineTests(DpdkFixture fixture)
{
    private static int s_names;

    private sealed class DpdkHosts : IDisposable
    {
        public DpdkHosts(DpdkRuntime runtime, int hosts, PipelineOptions options)
        {
            Pipeline = new PacketPipeline(options);
            int id = Interlocked.Increment(ref s_names);
            for (int i = 0; i < hosts; i++)
            {
                var (host, switchSide) = DpdkPort.CreateRingPair(runtime, $"p{id}host{i + 1}", $"p{id}port{i + 1}");
                Hosts.Add(host);
                SwitchSides.Add(switchSide);
                Pipeline.AddPort(switchSide);
            }
            Pipeline.Resolver = new LearningSwitch(Pipeline);
        }

        public PacketPipeline Pipeline { get; }
        public List<DpdkPort> Hosts { get; } = [];
        public List<DpdkPort> SwitchSides { get; } = [];

        public void Dispose()
        {
            Pipeline.Dispose();
            foreach (var port in Hosts.Concat(SwitchSides)) port.Dispose();
        }
    }

    [Fact]
    public void A_polled_learning_switch_floods_then_forwards_between_dpdk_ports_without_losing_an_mbuf()
    {
        var runtime = fixture.Require();
        runtime.FlushReleases();
        int before = runtime.AvailableMbufs;
        using var pool = new PacketPool(16);
        using (var net = new DpdkHosts(runtime, 3, new PipelineOptions { Workers = 1, PinThreads = false }))
        {
            var oneToTwo = RingHosts.Frame(1, 2);
            var twoToOne = RingHosts.Frame(2, 1);

            DpdkTraffic.SendFromPool(net.Hosts[0], pool, [oneToTwo]);
            net.Pipeline.Poll();
            Assert.Equal([oneToTwo], DpdkTraffic.Receive(net.Hosts[1], 1));
            Assert.Equal([oneToTwo], DpdkTraffic.Receive(net.Hosts[2], 1));

            DpdkTraffic.SendFromPool(net.Hosts[1], pool, [twoToOne]);
            net.Pipeline.Poll();
            Assert.Equal([twoToOne], DpdkTraffic.Receive(net.Hosts[0], 1));
            Assert.Empty(DpdkTraffic.Receive(net.Hosts[2], 1, TimeSpan.FromMilliseconds(20)));

            var burst = Enumerable.Repeat(oneToTwo, 30).ToArray();
            DpdkTraffic.SendFromPool(net.Hosts[0], pool, burst[..15]);
            DpdkTraffic.SendFromPool(net.Hosts[0], pool, burst[15..]);
            net.Pipeline.Poll();
            Assert.Equal(burst, DpdkTraffic.Receive(net.Hosts[1], burst.Length));
            Assert.Equal(32, net.Pipeline.Statistics.Packets);
            Assert.Equal(31, net.SwitchSides[0].Statistics.RxPackets);
            Assert.Equal(31, net.SwitchSides[1].Statistics.TxPackets);
            Assert.Equal(1, net.SwitchSides[2].Statistics.TxPackets);
            Assert.Equal(runtime.ClonePool.Count, runtime.ClonePool.Available);
        }
        runtime.FlushReleases();
        Assert.Equal(before, runtime.AvailableMbufs);
    }

    [Fact]
    public void Worker_threads_forward_between_dpdk_ports_and_register_with_dpdk()
    {
        var runtime = fixture.Require();
        using var pool = new PacketPool(256);
        int registered = runtime.RegisteredThreads;
        using var net = new DpdkHosts(runtime, 2, new PipelineOptions { Workers = 2, PinThreads = false, IdlePollsBeforeSleep = 64 });
        net.Pipeline.Start();

        // Teach the switch both hosts, then send a stream one way.
        DpdkTraffic.SendFromPool(net.Hosts[1], pool, [RingHosts.Frame(2, 1)]);
        Assert.Single(DpdkTraffic.Receive(net.Hosts[0], 1));
        var frames = Enumerable.Range(0, 500).Select(i => RingHosts.Frame(1, 2, port: (ushort)(1000 + i % 50))).ToArray();
        for (int i = 0; i < frames.Length; i += 50) DpdkTraffic.SendFromPool(net.Hosts[0], pool, frames[i..(i + 50)]);
        var received = DpdkTraffic.Receive(net.Hosts[1], frames.Length, TimeSpan.FromSeconds(10));
        net.Pipeline.Stop();

        // Flows stay on one worker, so each flow's frames keep their order; the multiset is exactly what was sent.
        Assert.Equal(frames.Length, received.Count);
        Assert.Equal(frames.Select(Convert.ToHexString).Order(), received.Select(Convert.ToHexString).Order());
        Assert.True(runtime.RegisteredThreads >= registered + 2, $"{runtime.RegisteredThreads} registered, {registered} before");
    }
}
