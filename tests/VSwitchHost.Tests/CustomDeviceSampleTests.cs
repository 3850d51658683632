using NetFabric.Samples.CustomDevice;

namespace NetFabric.Samples.VSwitchHost.Tests;

public class CustomDeviceSampleTests
{
    [Fact]
    public void The_port_mirror_copies_inbound_traffic_and_its_flow_matches_only_the_ingress_port()
    {
        var result = MirrorDemo.Run(frames: 10);
        Assert.Equal(10, result.ReceivedOut);
        Assert.Equal(10, result.ReceivedMirror);
        Assert.Equal(1, result.ReceivedIn);
        // One upcall per direction: every later frame hit the cached flow.
        Assert.Equal(2, result.Upcalls);
        Assert.Contains("port-mirror (ingress port tap/in)", result.Trace);
        Assert.Contains("Megaflow: in_port=1 (", result.Trace);
    }
}
