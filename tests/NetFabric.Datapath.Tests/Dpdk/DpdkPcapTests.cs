using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Capture;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Tests.Capture;

namespace NetFabric.Datapath.Tests.Dpdk;

/// DPDK's pcap driver against NetFabric's own capture code: files PcapWriter wrote are read through DPDK, and what a
/// DpdkPort transmits into a pcap is read back with CaptureReader.
[Collection("Dpdk")]
public class DpdkPcapTests(DpdkFixture fixture)
{
    private static int s_names;

    private static string Unique() => $"net_pcap_t{Interlocked.Increment(ref s_names)}";

    [Theory]
    [InlineData(TimestampResolution.Microseconds)]
    [InlineData(TimestampResolution.Nanoseconds)]
    public void A_pcap_written_by_PcapWriter_is_received_through_dpdk_frame_for_frame(TimestampResolution resolution)
    {
        var runtime = fixture.Require();
        var frames = DpdkTraffic.Frames(100, seed: 7);
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, frames.Select((f, i) => new CapturedFrame(f, 1_700_000_000_000_000_000L + i * 1_000L)), resolution: resolution);
        using var port = DpdkPort.Create(runtime, $"{Unique()},rx_pcap={input.Path}", new DpdkPortOptions { InPort = 4 });
        Assert.False(port.SuppressesGCTransition);

        var received = DpdkTraffic.ReceiveBuffers(port, frames.Length);

        Assert.Equal(frames, received.Select(b => b.Data.ToArray()));
        Assert.All(received, b => Assert.Equal(4u, b.InPort));
        foreach (var buffer in received) buffer.Release();
        Assert.Empty(DpdkTraffic.Receive(port, 1, TimeSpan.FromMilliseconds(50)));
        var statistics = port.Statistics;
        Assert.Equal(frames.Length, statistics.RxPackets);
        Assert.Equal(frames.Sum(f => (long)f.Length), statistics.RxBytes);
        Assert.Equal(0, statistics.RxDrops);
    }

    [Fact]
    public void Frames_transmitted_into_a_pcap_port_are_what_CaptureReader_reads_back()
    {
        var runtime = fixture.Require();
        var frames = DpdkTraffic.Frames(50, seed: 3);
        using var input = new TempCaptureFile();
        using var output = new TempCaptureFile();
        CaptureFiles.Write(input.Path, frames.Select(f => new CapturedFrame(f, 0)));

        using (var port = DpdkPort.Create(runtime, $"{Unique()},rx_pcap={input.Path},tx_pcap={output.Path}"))
        {
            // Received mbufs are sent straight back out: the file DPDK writes must hold the same frames.
            var received = DpdkTraffic.ReceiveBuffers(port, frames.Length);
            Assert.Equal(frames.Length, port.TxBurst(0, received.ToArray()));
            Assert.Equal(frames.Length, port.DeviceStatistics.TxPackets);
        }

        Assert.Equal(frames, CaptureFiles.ReadAll(output.Path).Select(r => r.Bytes));
    }

    [Fact]
    public void A_frame_longer_than_an_mbuf_arrives_chained_and_is_dropped_and_counted()
    {
        var runtime = fixture.Require();
        var frames = DpdkTraffic.Frames(3, seed: 5);
        var jumbo = new byte[runtime.Options.MbufDataSize + 500];
        new Random(11).NextBytes(jumbo);
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, [new CapturedFrame(frames[0], 0), new CapturedFrame(jumbo, 0), new CapturedFrame(frames[1], 0), new CapturedFrame(frames[2], 0)]);
        runtime.FlushReleases();
        int before = runtime.AvailableMbufs;

        using (var port = DpdkPort.Create(runtime, $"{Unique()},rx_pcap={input.Path}"))
        {
            // The pcap driver chains a frame over several mbufs when one is too small; the datapath needs one span.
            Assert.Equal(frames, DpdkTraffic.Receive(port, frames.Length));
            Assert.Equal(1, port.Statistics.RxDrops);
            Assert.Equal(frames.Length, port.Statistics.RxPackets);
        }
        runtime.FlushReleases();
        Assert.Equal(before, runtime.AvailableMbufs);
    }
}
