using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Pipeline;

namespace NetFabric.Datapath.Tests.Pipeline;

/// Megaflow hits enter the exact-match cache with probability 1 in ExactMatchInsertOneIn.
public class ExactMatchInsertionTests
{
    private static long ExactMatchHitsAfter(int oneIn, int packets)
    {
        using var net = new RingHosts(2, new PipelineOptions { Workers = 1, PinThreads = false, ExactMatchInsertOneIn = oneIn });
        var frame = RingHosts.Frame(1, 2);
        FlowKey.Extract(frame, 1, out var key);
        // A pre-installed megaflow (in-port only): every packet is a megaflow hit until the EMC holds it.
        var mask = new FlowKey { InPort = uint.MaxValue };
        net.Pipeline.Flows.Insert(new FlowMatch(key, new FlowMask(mask)), ActionProgram.CreateBuilder().Output(2).Build());
        int received = 0;
        for (int i = 0; i < packets; i++)
        {
            net.Send(1, frame);
            net.Pipeline.Poll();
            received += net.Receive(2).Count;
        }
        Assert.Equal(packets, received);
        var stats = net.Pipeline.Statistics;
        Assert.Equal(packets, stats.ExactMatchHits + stats.MegaflowHits);
        return stats.ExactMatchHits;
    }

    [Fact]
    public void Inserting_on_every_hit_serves_every_later_packet_from_the_exact_match_cache() =>
        Assert.Equal(49, ExactMatchHitsAfter(1, 50));

    [Fact]
    public void A_rare_coin_keeps_most_hits_in_the_megaflow_classifier_and_a_steady_flow_still_gets_in()
    {
        Assert.True(ExactMatchHitsAfter(1_000_000, 50) == 0);
        // With the default 1 in 100, a flow sending 2,000 packets is in the cache for most of them.
        Assert.True(ExactMatchHitsAfter(100, 2_000) > 1_000);
    }

    [Fact]
    public void The_probability_must_be_at_least_one_in_one() =>
        Assert.Throws<ArgumentException>(() => new PacketPipeline(new PipelineOptions { ExactMatchInsertOneIn = 0 }));
}
