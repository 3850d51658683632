using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Capture;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;

namespace NetFabric.Datapath.Tests.Pipeline;

public class PcapPipelineTests
{
    [Fact]
    public void Pcap_in_through_the_learning_switch_comes_out_as_the_same_frames_each_flow_in_order()
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
            var received = new List<byte[]>();
            while (reader.TryRead(buffer, out var record)) received.Add(buffer[..record.CapturedLength]);

            // Byte-identical frames, each flow in its original order. Flows may interleave differently: packets
            // that hit the exact-match cache are executed before the burst's misses, as in Open vSwitch.
            Assert.Equal(frames.Count, received.Count);
            static string Flow(byte[] frame) => Convert.ToHexString(frame.AsSpan(6, 6)) + "/" + (frame[36] << 8 | frame[37]);
            var expected = frames.GroupBy(Flow).ToDictionary(g => g.Key, g => g.ToList());
            var actual = received.GroupBy(Flow).ToDictionary(g => g.Key, g => g.ToList());
            Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
            foreach (var (flow, sent) in expected)
                Assert.True(sent.Zip(actual[flow]).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second)), $"flow {flow} differs or is out of order");
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }
}
