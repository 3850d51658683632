using NetFabric.Samples.VSwitchHost.Demo;

namespace NetFabric.Samples.VSwitchHost.Tests;

public class DemoCommandTests
{
    [Fact]
    public void The_demo_delivers_every_datagram_segment_and_ping_across_subnets_and_tenants_mostly_from_the_caches()
    {
        var output = new StringWriter();
        var summary = DemoCommand.Run(seconds: 1, output);
        string text = output.ToString();

        Assert.True(summary.Sent > 1000, text);
        Assert.Equal(summary.Sent, summary.Received);
        Assert.True(summary.SegmentsSent > 100, text);
        Assert.Equal(summary.SegmentsSent, summary.SegmentsReceived);
        Assert.True(summary.PingsSent > 10, text);
        Assert.Equal(summary.PingsSent, summary.PingsAnswered);
        var datapath = summary.Datapath;
        Assert.True(datapath.ExactMatchHits + datapath.MegaflowHits > 0.9 * datapath.Packets, text);
        Assert.Equal(0, datapath.ResolverErrors);
        // vm1 -> vm8 crosses a bridge, the tenant router, the provider, the other tenant's router and a bridge.
        Assert.Contains("provider (ingress port provider/to-a)", text);
        Assert.Contains("Datapath actions: dec_ttl(3),", text);
        Assert.Contains("Outcome: output to 8", text);
    }
}
