using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Capture;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;

namespace NetFabric.Datapath.Tests.Pipeline;

public class PcapPipelineTests
{
    [Fact]
    public void Pcap_in_through_the_learning_switch_comes_out_as_the_same_frames_in_the_same_order()
    {
        string input = Path.Combine(Path.GetTempPath(), $"netfabric-in-{Guid.NewGuid():N}.pcap");
        string output = Path.Combine(Path.GetTempPath(), $"netfabric-out-{Guid.NewGuid():N}.pcap");
        try
        {
            // Many flows between two hosts behind port 1, so the run exercises misses, installs and hits.
            var frames = Enumerable.Range(0, 500)
                .Select(i => RingHosts.Frame(from: 1 + i % 2, to: 3, port: (ushort)(5000 + i % 37), payload: i % 50))
                .ToList();
            using (var writer = new PcapWriter(input))
                for (int i = 0; i < frames.Count; i++) writer.Write(frames[i], 1_000_000_000L * i);

            using (var pool = new PacketPool(1024))
            using (var source = new PcapPort("capture-in", pool, new PcapPortOptions { InputPath = input }))
            using (var sink = new PcapPort("capture-out", pool, new PcapPortOptions { OutputPath = output }))
            using (var pipeline = new PacketPipeline(new PipelineOptions { Workers = 1, PinThreads = false }))
            {
                pipeline.AddPort(source);
                pipeline.AddPort(sink);
                pipeline.Resolver = new LearningSwitch(pipeline);
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while (source.LinkState == LinkState.Up && DateTime.UtcNow < deadline) pipeline.Poll();
                pipeline.Poll();
                Assert.Equal(500, pipeline.Statistics.Packets);
                Assert.True(pipeline.Statistics.Upcalls < 100, pipeline.Statistics.ToString());
                Assert.Equal(pool.Count, pool.Available);
            }

            using var reader = CaptureReader.Open(output);
            var buffer = new byte[4096];
            int index = 0;
            while (reader.TryRead(buffer, out var record))
            {
                Assert.True(index < frames.Count, "more frames came out than went in");
                Assert.True(frames[index].AsSpan().SequenceEqual(buffer.AsSpan(0, record.CapturedLength)), $"frame {index} differs");
                index++;
            }
            Assert.Equal(frames.Count, index);
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }
}
