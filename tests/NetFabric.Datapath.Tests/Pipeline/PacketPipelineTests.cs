using System.Diagnostics.Metrics;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Pipeline;

/// A pipeline with N ring-port "hosts": host i's end of pair i is where the test sends and receives;
/// the other end is attached to the pipeline as datapath port i + 1.
internal sealed class RingHosts : IDisposable
{
    public RingHosts(int hosts, PipelineOptions? options = null, int poolSize = 4096)
    {
        Pool = new PacketPool(poolSize);
        Pipeline = new PacketPipeline(options ?? new PipelineOptions { Workers = 1, PinThreads = false });
        for (int i = 0; i < hosts; i++)
        {
            var (host, switchSide) = RingPort.CreatePair($"host{i + 1}", $"port{i + 1}", 1024);
            Hosts.Add(host);
            SwitchSides.Add(switchSide);
            Assert.Equal((uint)(i + 1), Pipeline.AddPort(switchSide));
        }
    }

    public PacketPool Pool { get; }
    public PacketPipeline Pipeline { get; }
    public List<RingPort> Hosts { get; } = [];
    public List<RingPort> SwitchSides { get; } = [];

    public static MacAddress Mac(int host) => new(0x0200_0000_0000UL | (uint)host);
    public static IPv4Address Ip(int host) => new(0xC612_0000u | (uint)host); // 198.18.0.x

    /// A UDP frame from host <paramref name="from"/> to host <paramref name="to"/> (or broadcast when to is 0).
    public static byte[] Frame(int from, int to, ushort port = 7000, int payload = 18)
    {
        var frame = new byte[64 + payload];
        int length = IpFrames.WriteUdp(frame, Mac(from), to == 0 ? MacAddress.Broadcast : Mac(to), Ip(from), to == 0 ? IPv4Address.Broadcast : Ip(to),
            port, port, new byte[payload]);
        return frame[..length];
    }

    public void Send(int host, params byte[][] frames)
    {
        var buffers = new PacketBuffer[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.True(Pool.TryRent(out buffers[i]));
            buffers[i].TrySetLength(frames[i].Length);
            frames[i].CopyTo(buffers[i].Data);
        }
        Assert.Equal(frames.Length, Hosts[host - 1].TxBurst(0, buffers));
    }

    /// Everything waiting at host <paramref name="host"/>, as byte arrays (buffers released).
    public List<byte[]> Receive(int host)
    {
        var received = new List<byte[]>();
        var buffers = new PacketBuffer[64];
        int count;
        while ((count = Hosts[host - 1].RxBurst(0, buffers)) > 0)
            for (int i = 0; i < count; i++)
            {
                received.Add(buffers[i].Data.ToArray());
                buffers[i].Release();
            }
        return received;
    }

    public void Dispose()
    {
        Pipeline.Dispose();
        foreach (var port in Hosts.Concat(SwitchSides)) port.Dispose();
        Pool.Dispose();
    }
}

public class PacketPipelineTests
{
    [Fact]
    public void A_learning_switch_floods_unknown_destinations_then_forwards_learned_ones_from_the_cache()
    {
        using var net = new RingHosts(3);
        net.Pipeline.Resolver = new LearningSwitch(net.Pipeline);
        var oneToTwo = RingHosts.Frame(1, 2);
        var twoToOne = RingHosts.Frame(2, 1);

        net.Send(1, oneToTwo);
        net.Pipeline.Poll();
        // Host 2 is unknown: flooded to 2 and 3, byte for byte, not back to 1.
        Assert.Equal(oneToTwo, Assert.Single(net.Receive(2)));
        Assert.Equal(oneToTwo, Assert.Single(net.Receive(3)));
        Assert.Empty(net.Receive(1));

        net.Send(2, twoToOne);
        net.Pipeline.Poll();
        // Host 1 was learned from the first frame: unicast.
        Assert.Equal(twoToOne, Assert.Single(net.Receive(1)));
        Assert.Empty(net.Receive(3));

        // Learning host 2 invalidated the flood flow: 1 → 2 now goes to 2 only, and repeats hit the caches.
        net.Send(1, oneToTwo, oneToTwo, oneToTwo);
        net.Pipeline.Poll();
        Assert.Equal(3, net.Receive(2).Count);
        Assert.Empty(net.Receive(3));
        net.Send(1, oneToTwo);
        net.Pipeline.Poll();
        Assert.Single(net.Receive(2));

        var stats = net.Pipeline.Statistics;
        Assert.Equal(6, stats.Packets);
        // Upcalls: 1→2 flooded, 2→1, and 1→2 again after learning host 2 invalidated the flood flow. The other two
        // packets of that burst missed too but were served by the flow the first one installed; the last packet hit.
        Assert.Equal(3, stats.Upcalls);
        Assert.Equal(5, stats.Misses);
        Assert.Equal(1, stats.ExactMatchHits + stats.MegaflowHits);
        Assert.Equal(3, stats.FlowsInstalled);
        Assert.Equal(2, net.Pipeline.Flows.Count);
        Assert.Equal(net.Pool.Count, net.Pool.Available);
    }

    [Fact]
    public void The_flow_of_the_first_packet_of_a_burst_serves_the_rest_of_the_burst()
    {
        using var net = new RingHosts(2);
        var resolver = new CountingResolver(output: 2);
        net.Pipeline.Resolver = resolver;
        net.Send(1, Enumerable.Repeat(RingHosts.Frame(1, 2), 10).ToArray());
        net.Pipeline.Poll();
        Assert.Equal(10, net.Receive(2).Count);
        Assert.Equal(1, resolver.Calls);
        Assert.Equal(1, net.Pipeline.Statistics.FlowsInstalled);
    }

    [Fact]
    public void A_resolver_that_throws_costs_one_packet_and_a_counter_not_the_worker()
    {
        using var net = new RingHosts(2);
        var resolver = new CountingResolver(output: 2) { ThrowOnPort = 7001 };
        net.Pipeline.Resolver = resolver;
        net.Send(1, RingHosts.Frame(1, 2, port: 7001), RingHosts.Frame(1, 2, port: 7002));
        net.Pipeline.Poll();
        var delivered = net.Receive(2);
        Assert.Single(delivered);
        Assert.Equal(1, net.Pipeline.Statistics.ResolverErrors);
        Assert.Equal(net.Pool.Count, net.Pool.Available);
    }

    [Fact]
    public void A_pending_resolution_parks_the_packet_and_delivers_it_once_resolved()
    {
        using var net = new RingHosts(2);
        var resolver = new CountingResolver(output: 2) { PendingUntilCall = 3 };
        net.Pipeline.Resolver = resolver;
        net.Send(1, RingHosts.Frame(1, 2));
        net.Pipeline.Poll();
        Assert.Empty(net.Receive(2));
        Assert.Equal(1, net.Pipeline.Statistics.Parked);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        List<byte[]> delivered = [];
        while (delivered.Count == 0 && DateTime.UtcNow < deadline)
        {
            net.Pipeline.Poll();
            delivered.AddRange(net.Receive(2));
        }
        Assert.Single(delivered);
        Assert.Equal(3, resolver.Calls);
        Assert.Equal(0, net.Pipeline.Workers[0].ParkedCount);
    }

    [Fact]
    public void The_upcall_rate_limit_drops_excess_misses_while_cached_flows_keep_forwarding()
    {
        using var net = new RingHosts(2, new PipelineOptions { Workers = 1, PinThreads = false, UpcallBurst = 4, UpcallsPerSecondPerPort = 0.001 });
        net.Pipeline.Resolver = new CountingResolver(output: 2);
        net.Send(1, RingHosts.Frame(1, 2, port: 1));
        net.Pipeline.Poll();
        Assert.Single(net.Receive(2));
        // 20 new flows: only 3 tokens are left; the established flow's packets still pass.
        var frames = Enumerable.Range(100, 20).Select(p => RingHosts.Frame(1, 2, port: (ushort)p)).Append(RingHosts.Frame(1, 2, port: 1)).ToArray();
        net.Send(1, frames);
        net.Pipeline.Poll();
        Assert.Equal(4, net.Receive(2).Count);
        Assert.Equal(17, net.Pipeline.Statistics.UpcallsRateLimited);
        Assert.Equal(net.Pool.Count, net.Pool.Available);
    }

    [Fact]
    public void Resolver_emitted_packets_are_sent_and_one_shot_decisions_are_not_cached()
    {
        using var net = new RingHosts(2);
        var reply = RingHosts.Frame(2, 1, port: 9);
        net.Pipeline.Resolver = new DelegateResolver((in FlowKey key) => new FlowDecision
        {
            Match = FlowMatch.Exactly(key),
            Actions = ActionProgram.Drop,
            Cacheable = false,
            Emit = [new EmittedPacket(1, reply)],
        });
        net.Send(1, RingHosts.Frame(1, 2), RingHosts.Frame(1, 2));
        net.Pipeline.Poll();
        Assert.Equal([reply, reply], net.Receive(1));
        Assert.Empty(net.Receive(2));
        Assert.Equal(0, net.Pipeline.Flows.Count);
        Assert.Equal(2, net.Pipeline.Statistics.Emitted);
        Assert.Equal(2, net.Pipeline.Statistics.DroppedByAction);
    }

    [Fact]
    public void Invalidating_a_tag_sends_the_next_packet_back_to_the_resolver()
    {
        using var net = new RingHosts(2);
        var resolver = new CountingResolver(output: 2) { Tag = 42 };
        net.Pipeline.Resolver = resolver;
        net.Send(1, RingHosts.Frame(1, 2));
        net.Pipeline.Poll();
        net.Send(1, RingHosts.Frame(1, 2));
        net.Pipeline.Poll();
        Assert.Equal(1, resolver.Calls);
        Assert.Equal(1, net.Pipeline.Flows.InvalidateByTag(42));
        net.Send(1, RingHosts.Frame(1, 2));
        net.Pipeline.Poll();
        Assert.Equal(2, resolver.Calls);
        Assert.Equal(3, net.Receive(2).Count);
    }

    [Fact]
    public void Two_worker_threads_sharing_a_single_queue_port_deliver_every_packet_once_and_each_flow_in_order()
    {
        using var net = new RingHosts(2, new PipelineOptions { Workers = 2, PinThreads = false, IdlePollsBeforeSleep = 64 });
        net.Pipeline.Resolver = new CountingResolver(output: 2);
        net.Pipeline.Start();
        const int flows = 16, perFlow = 200;
        var received = new List<byte[]>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        for (int round = 0; round < perFlow; round++)
        {
            // Sequence number in the payload's first bytes, flow = UDP port.
            var frames = Enumerable.Range(0, flows).Select(f =>
            {
                var frame = RingHosts.Frame(1, 2, port: (ushort)(1000 + f));
                BitConverter.TryWriteBytes(frame.AsSpan(42), round);
                return frame;
            }).ToArray();
            net.Send(1, frames);
            received.AddRange(net.Receive(2));
            // Keep at most 512 packets in flight so neither the rings nor the hand-over inboxes can overflow
            // (overflow drops are correct behaviour under overload, but this test checks delivery and order).
            while ((round + 1) * flows - received.Count > 512 && DateTime.UtcNow < deadline) received.AddRange(net.Receive(2));
        }
        while (received.Count < flows * perFlow && DateTime.UtcNow < deadline) received.AddRange(net.Receive(2));
        net.Pipeline.Stop();
        received.AddRange(net.Receive(2));

        Assert.Equal(flows * perFlow, received.Count);
        foreach (var flow in received.GroupBy(f => BitConverter.ToUInt16([f[37], f[36]])))
            Assert.Equal(Enumerable.Range(0, perFlow), flow.Select(f => BitConverter.ToInt32(f.AsSpan(42))));
        Assert.All(net.Pipeline.Workers, w => Assert.True(w.Statistics.Packets > 0, $"worker {w.Id} processed nothing"));
        Assert.Equal(net.Pool.Count, net.Pool.Available);
    }

    [Fact]
    public void Metrics_publish_cache_hits_and_port_counters_under_the_NetFabric_Datapath_meter()
    {
        using var net = new RingHosts(2);
        net.Pipeline.Resolver = new CountingResolver(output: 2);
        net.Send(1, RingHosts.Frame(1, 2), RingHosts.Frame(1, 2));
        net.Pipeline.Poll();
        net.Send(1, RingHosts.Frame(1, 2));
        net.Pipeline.Poll();

        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == DatapathMetrics.MeterName && instrument.Meter == net.Pipeline.Metrics.Meter) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name + string.Concat(tags.ToArray().Select(t => $"/{t.Value}"));
            values[key] = values.GetValueOrDefault(key) + value;
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(3, values["netfabric.port.rx.packets/port1"]);
        Assert.Equal(3, values["netfabric.port.tx.packets/port2"]);
        Assert.Equal(1, values["netfabric.flows.installed/0"]);
        Assert.Equal(1, values["netfabric.emc.hits/0"] + values["netfabric.megaflow.hits/0"]);
        Assert.Equal(1, values["netfabric.flows.active"]);
    }

    /// Installs "in_port + UDP destination port → output" flows and counts calls.
    private sealed class CountingResolver(uint output) : IFlowResolver
    {
        private int _calls;
        public int Calls => _calls;
        public ushort? ThrowOnPort { get; init; }
        public int PendingUntilCall { get; init; }
        public ulong Tag { get; init; }

        public FlowResolution Resolve(in FlowKey key, PacketBuffer packet, ResolverReason reason)
        {
            int call = Interlocked.Increment(ref _calls);
            if (key.TransportDestination == ThrowOnPort) throw new InvalidOperationException("resolver bug");
            if (call < PendingUntilCall) return FlowResolution.Pending(TimeSpan.FromMilliseconds(1));
            var bits = default(FlowKey);
            bits.InPort = uint.MaxValue;
            bits.TransportDestination = ushort.MaxValue;
            return new FlowDecision
            {
                Match = new FlowMatch(key, new FlowMask(bits)),
                Actions = ActionProgram.CreateBuilder().Output(output).Build(),
                Tags = Tag == 0 ? [] : [Tag],
            };
        }
    }

    private delegate FlowDecision Decide(in FlowKey key);

    private sealed class DelegateResolver(Decide decide) : IFlowResolver
    {
        public FlowResolution Resolve(in FlowKey key, PacketBuffer packet, ResolverReason reason) => decide(key);
    }
}
