using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Pipeline.Internal;

namespace NetFabric.Datapath.Tests.Pipeline;

/// A worker stops looking its exact-match cache up while too few lookups hit, probes, and turns it back on.
public class ExactMatchGateTests
{
    private const int Batch = 32;

    // Records whole batches of `Batch` lookups with `hits` hits each until `lookups` have been recorded.
    private static void RecordBatches(ref ExactMatchGate gate, int lookups, int hits)
    {
        for (int done = 0; done < lookups; done += Batch) gate.Record(Batch, hits);
    }

    [Fact]
    public void An_open_gate_admits_every_batch_and_closes_only_at_the_end_of_a_window_below_the_minimum()
    {
        var gate = new ExactMatchGate(0.5);
        Assert.True(gate.Admit());
        RecordBatches(ref gate, ExactMatchGate.OpenWindow - Batch, hits: 15);
        Assert.False(gate.IsClosed);
        Assert.True(gate.Admit());
        gate.Record(Batch, 15);
        Assert.True(gate.IsClosed);
    }

    [Fact]
    public void A_window_exactly_at_the_minimum_keeps_the_gate_open()
    {
        var gate = new ExactMatchGate(0.5);
        RecordBatches(ref gate, ExactMatchGate.OpenWindow, hits: 16);
        Assert.False(gate.IsClosed);
    }

    [Fact]
    public void A_closed_gate_admits_one_batch_in_ProbeEvery_and_opens_when_the_probes_hit_again()
    {
        var gate = new ExactMatchGate(0.5);
        RecordBatches(ref gate, ExactMatchGate.OpenWindow, hits: 0);
        Assert.True(gate.IsClosed);

        int admitted = 0;
        for (int i = 0; i < 10 * ExactMatchGate.ProbeEvery; i++)
            if (gate.Admit()) admitted++;
        Assert.Equal(10, admitted);

        // Probes that still miss keep it closed; probes that hit open it at the end of a probe window.
        RecordBatches(ref gate, ExactMatchGate.ProbeWindow, hits: 3);
        Assert.True(gate.IsClosed);
        RecordBatches(ref gate, ExactMatchGate.ProbeWindow - Batch, hits: 30);
        Assert.True(gate.IsClosed);
        gate.Record(Batch, 30);
        Assert.False(gate.IsClosed);
        Assert.True(gate.Admit());
    }

    [Fact]
    public void A_minimum_of_zero_never_closes_the_gate()
    {
        var gate = new ExactMatchGate(0);
        RecordBatches(ref gate, 4 * ExactMatchGate.OpenWindow, hits: 0);
        Assert.False(gate.IsClosed);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_minimum_hit_rate_outside_zero_to_one_is_refused_by_name(double rate)
    {
        var error = Assert.Throws<ArgumentException>(() => new PacketPipeline(new PipelineOptions { ExactMatchMinimumHitRate = rate }));
        Assert.Contains("ExactMatchMinimumHitRate", error.Message);
    }

    /// 4,096 flows round robin through a 16-slot cache: lookups almost never hit, so after one window the worker
    /// skips the cache (still forwarding every packet from the megaflow classifier); when the traffic narrows to one
    /// flow, the probes find it in the cache and the worker serves it from there again.
    [Fact]
    public void With_more_flows_than_cache_slots_a_worker_skips_the_cache_and_takes_it_back_when_traffic_narrows()
    {
        using var net = new RingHosts(2, new PipelineOptions
        {
            Workers = 1, PinThreads = false, ExactMatchCacheEntries = 16, ExactMatchInsertOneIn = 1,
        });
        var frames = Enumerable.Range(0, 4096).Select(i => RingHosts.Frame(1, 2, port: (ushort)(1024 + i))).ToArray();
        FlowKey.Extract(frames[0], 1, out var key);
        net.Pipeline.Flows.Insert(new FlowMatch(key, new FlowMask(new FlowKey { InPort = uint.MaxValue })), ActionProgram.CreateBuilder().Output(2).Build());

        long sent = 0, received = 0;
        void Forward(Func<int, byte[]> frame, int batches)
        {
            for (int b = 0; b < batches; b++)
            {
                net.Send(1, Enumerable.Range(0, Batch).Select(i => frame((int)((sent + i) % frames.Length))).ToArray());
                sent += Batch;
                net.Pipeline.Poll();
                received += net.Receive(2).Count;
            }
        }

        Forward(i => frames[i], 2 * ExactMatchGate.OpenWindow / Batch);
        var spread = net.Pipeline.Statistics;
        Assert.Equal(sent, received);
        Assert.Equal(sent, spread.ExactMatchHits + spread.MegaflowHits);
        Assert.True(spread.ExactMatchSkipped >= ExactMatchGate.OpenWindow / 2, spread.ToString());

        // One flow: the probe batches put it in the cache and hit it; after a probe window the cache is back on.
        Forward(_ => frames[0], (ExactMatchGate.ProbeWindow / Batch + 1) * ExactMatchGate.ProbeEvery);
        var narrowed = net.Pipeline.Statistics;
        Forward(_ => frames[0], 100);
        var after = net.Pipeline.Statistics;
        Assert.Equal(sent, received);
        Assert.Equal(narrowed.ExactMatchSkipped, after.ExactMatchSkipped);
        Assert.Equal(100 * Batch, after.ExactMatchHits - narrowed.ExactMatchHits);
    }
}
