using NetFabric.Datapath.Capture;
using NetFabric.Testing;

namespace NetFabric.Datapath.Tests.Interop;

/// The repository ships samples/data/sample.pcap for the README's main command: it holds exactly the
/// builder frames (so it is as correct as the tshark interop test proves them). Set
/// NETFABRIC_WRITE_SAMPLE=1 to rewrite it after changing <see cref="BuilderFrames"/>.
public class SampleCaptureTests
{
    private const long FirstTimestamp = 1_795_000_000_000_000_000L; // 2026-11-18, spaced 1 ms apart

    [Fact]
    public void Shipped_sample_capture_holds_every_builder_frame()
    {
        var frames = BuilderFrames.All();
        string path = SamplePath();
        if (Environment.GetEnvironmentVariable("NETFABRIC_WRITE_SAMPLE") == "1")
        {
            using var writer = new PcapWriter(path);
            for (int i = 0; i < frames.Count; i++) writer.Write(frames[i].Frame, FirstTimestamp + i * 1_000_000L);
        }

        using var reader = CaptureReader.Open(path);
        var buffer = new byte[4096];
        for (int i = 0; i < frames.Count; i++)
        {
            Assert.True(reader.TryRead(buffer, out var record), $"the sample ends before frame {i + 1} ({frames[i].Name})");
            Assert.True(frames[i].Frame.AsSpan().SequenceEqual(buffer.AsSpan(0, record.CapturedLength)), $"frame {i + 1} ({frames[i].Name}) differs");
            Assert.Equal(FirstTimestamp + i * 1_000_000L, record.TimestampNanoseconds);
        }
        Assert.False(reader.TryRead(buffer, out _), "the sample has more frames than the builders make");
    }

    private static string SamplePath() => RepositoryPaths.File("samples", "data", "sample.pcap");
}
