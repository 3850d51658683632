using System.Buffers.Binary;
using FsCheck.Xunit;
using NetFabric.Datapath.Capture;

namespace NetFabric.Datapath.Tests.Capture;

public class PcapRoundTripTests
{
    private static readonly CaptureByteOrder[] ByteOrders = [CaptureByteOrder.LittleEndian, CaptureByteOrder.BigEndian];
    private static readonly TimestampResolution[] Resolutions = [TimestampResolution.Microseconds, TimestampResolution.Nanoseconds];

    [Property(Arbitrary = [typeof(CaptureArbitraries)])]
    public void Write_then_read_gives_identical_frames_and_timestamps_in_every_byte_order_and_resolution(CapturedFrame[] frames)
    {
        foreach (CaptureByteOrder byteOrder in ByteOrders)
        foreach (TimestampResolution resolution in Resolutions)
        {
            using var file = new TempCaptureFile();
            CaptureFiles.Write(file.Path, frames, byteOrder, resolution);

            using CaptureReader reader = CaptureReader.Open(file.Path);
            List<ReadFrame> read = CaptureFiles.ReadAll(reader);

            Assert.Equal(CaptureFileFormat.Pcap, reader.Format);
            Assert.False(reader.Truncated);
            Assert.Equal(frames.Length, read.Count);
            for (int i = 0; i < frames.Length; i++)
            {
                CapturedFrame written = frames[i];
                // A microsecond file keeps exactly the whole microseconds of the timestamp.
                long expectedTimestamp = resolution == TimestampResolution.Microseconds
                    ? written.TimestampNanoseconds / 1_000 * 1_000
                    : written.TimestampNanoseconds;
                Assert.Equal(new CaptureRecord(expectedTimestamp, written.Bytes.Length, written.Bytes.Length, 0, LinkType.Ethernet), read[i].Record);
                Assert.Equal(written.Bytes, read[i].Bytes);
            }
        }
    }

    [Fact]
    public void Headers_split_across_every_read_decode_the_same_as_whole_ones()
    {
        CapturedFrame[] frames = SampleFrames(200);
        foreach (CaptureByteOrder byteOrder in ByteOrders)
        {
            byte[] bytes = WriteToMemory(frames, byteOrder, TimestampResolution.Nanoseconds);
            using CaptureReader reader = CaptureReader.Open(new TrickleStream(bytes, maximumChunk: 7), "trickle");

            List<ReadFrame> read = CaptureFiles.ReadAll(reader);

            Assert.Equal(frames.Select(f => f.Bytes), read.Select(r => r.Bytes));
            Assert.Equal(frames.Select(f => f.TimestampNanoseconds), read.Select(r => r.Record.TimestampNanoseconds));
        }
    }

    [Fact]
    public async Task ReadAsync_returns_the_same_records_as_TryRead()
    {
        CapturedFrame[] frames = SampleFrames(500);
        using var file = new TempCaptureFile();
        CaptureFiles.Write(file.Path, frames, resolution: TimestampResolution.Nanoseconds);

        await using CaptureReader reader = CaptureReader.Open(file.Path);
        var buffer = new byte[2048];
        var read = new List<ReadFrame>();
        while (await reader.ReadAsync(buffer, TestContext.Current.CancellationToken) is CaptureRecord record)
            read.Add(new ReadFrame(record, buffer[..record.CapturedLength]));

        Assert.Equal(CaptureFiles.ReadAll(file.Path), read, (a, b) => a.Record == b.Record && a.Bytes.SequenceEqual(b.Bytes));
        Assert.Equal(frames.Length, reader.RecordCount);
    }

    [Fact]
    public void A_destination_shorter_than_the_frame_receives_its_prefix_and_the_real_captured_length()
    {
        CapturedFrame[] frames = SampleFrames(3);
        using var file = new TempCaptureFile();
        CaptureFiles.Write(file.Path, frames);

        using CaptureReader reader = CaptureReader.Open(file.Path);
        var small = new byte[10];
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.True(reader.TryRead(small, out CaptureRecord record));
            Assert.Equal(frames[i].Bytes.Length, record.CapturedLength);
            Assert.Equal(frames[i].Bytes[..10], small);
        }
        Assert.False(reader.TryRead(small, out _));
    }

    [Fact]
    public void Frames_longer_than_the_snap_length_are_cut_and_keep_their_original_length()
    {
        byte[] frame = new byte[1500];
        Random.Shared.NextBytes(frame);
        using var file = new TempCaptureFile();
        using (var writer = new PcapWriter(file.Path, snapLength: 128))
        {
            writer.Write(frame, 1_000);
            writer.Write(frame.AsSpan(0, 64), 2_000, originalLength: 9000);
        }

        List<ReadFrame> read = CaptureFiles.ReadAll(file.Path);

        Assert.Equal((128, 1500), (read[0].Record.CapturedLength, read[0].Record.OriginalLength));
        Assert.Equal(frame[..128], read[0].Bytes);
        Assert.Equal((64, 9000), (read[1].Record.CapturedLength, read[1].Record.OriginalLength));
    }

    [Theory]
    [InlineData(CaptureByteOrder.LittleEndian, TimestampResolution.Microseconds, new byte[] { 0xD4, 0xC3, 0xB2, 0xA1 })]
    [InlineData(CaptureByteOrder.LittleEndian, TimestampResolution.Nanoseconds, new byte[] { 0x4D, 0x3C, 0xB2, 0xA1 })]
    [InlineData(CaptureByteOrder.BigEndian, TimestampResolution.Microseconds, new byte[] { 0xA1, 0xB2, 0xC3, 0xD4 })]
    [InlineData(CaptureByteOrder.BigEndian, TimestampResolution.Nanoseconds, new byte[] { 0xA1, 0xB2, 0x3C, 0x4D })]
    public void The_file_starts_with_the_magic_of_its_byte_order_and_resolution(CaptureByteOrder byteOrder, TimestampResolution resolution, byte[] magic)
    {
        byte[] bytes = WriteToMemory([new CapturedFrame(new byte[60], 1_500_000_000_123_456_789)], byteOrder, resolution);

        Assert.Equal(magic, bytes[..4]);
        Assert.Equal(24 + 16 + 60, bytes.Length);
        uint seconds = byteOrder == CaptureByteOrder.BigEndian
            ? BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(24))
            : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24));
        Assert.Equal(1_500_000_000u, seconds);
    }

    [Fact]
    public void The_writer_rejects_timestamps_a_pcap_record_cannot_hold()
    {
        using var writer = new PcapWriter(new MemoryStream());

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[60], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[60], (uint.MaxValue + 1L) * 1_000_000_000L));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(new byte[60], 0, originalLength: 59));
    }

    [Fact]
    public void A_record_converts_its_timestamp_to_a_utc_DateTimeOffset()
    {
        var record = new CaptureRecord(1_700_000_000_123_456_789, 60, 60, 0, LinkType.Ethernet);

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_567), record.ToDateTimeOffset());
    }

    internal static CapturedFrame[] SampleFrames(int count)
    {
        var random = new Random(count);
        var frames = new CapturedFrame[count];
        for (int i = 0; i < count; i++)
        {
            var bytes = new byte[random.Next(14, 1601)];
            random.NextBytes(bytes);
            frames[i] = new CapturedFrame(bytes, 1_700_000_000_000_000_000 + i * 1_234_567_891L);
        }
        return frames;
    }

    internal static byte[] WriteToMemory(IEnumerable<CapturedFrame> frames, CaptureByteOrder byteOrder, TimestampResolution resolution)
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, LinkType.Ethernet, resolution, byteOrder, leaveOpen: true))
        {
            foreach (CapturedFrame frame in frames)
                writer.Write(frame.Bytes, frame.TimestampNanoseconds);
        }
        return stream.ToArray();
    }
}
