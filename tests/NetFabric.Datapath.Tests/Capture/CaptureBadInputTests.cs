using System.Buffers.Binary;
using FsCheck.Xunit;
using NetFabric.Datapath.Capture;

namespace NetFabric.Datapath.Tests.Capture;

public class CaptureBadInputTests
{
    [Fact]
    public void A_file_that_is_not_a_capture_is_rejected_with_its_name_and_magic()
    {
        using var file = TempCaptureFile.WithBytes("\x12\x34\x56\x78 this is not a capture"u8, ".bin");

        var error = Assert.Throws<CaptureFormatException>(() => CaptureReader.Open(file.Path));

        Assert.Equal($"'{file.Path}' is not a pcap or pcapng file (magic 0x12345678).", error.Message);
        Assert.Equal(file.Path, error.FileName);
    }

    [Fact]
    public void A_missing_file_is_rejected_with_its_name()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netfabric-missing-{Guid.NewGuid():N}.pcap");

        var error = Assert.Throws<CaptureFormatException>(() => CaptureReader.Open(path));

        Assert.Equal($"'{path}' cannot be read: the file does not exist.", error.Message);
        Assert.IsType<FileNotFoundException>(error.InnerException);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void A_file_too_short_for_a_magic_number_is_rejected(int length)
    {
        using var file = TempCaptureFile.WithBytes(new byte[length]);

        var error = Assert.Throws<CaptureFormatException>(() => CaptureReader.Open(file.Path));

        Assert.Contains($"only {length} bytes long", error.Message);
    }

    [Fact]
    public void A_cut_pcap_file_header_is_rejected()
    {
        byte[] bytes = PcapRoundTripTests.WriteToMemory([], CaptureByteOrder.LittleEndian, TimestampResolution.Microseconds);
        using var file = TempCaptureFile.WithBytes(bytes.AsSpan(0, 20));

        var error = Assert.Throws<CaptureFormatException>(() => CaptureReader.Open(file.Path));

        Assert.Contains("cut short (20 of 24 bytes)", error.Message);
    }

    [Theory]
    [InlineData(5)]    // inside the last frame's data
    [InlineData(70)]   // inside the last record header
    public void A_pcap_file_cut_inside_its_last_record_ends_cleanly_and_says_it_was_truncated(int bytesCut)
    {
        CapturedFrame[] frames = [.. Enumerable.Range(1, 3).Select(i => new CapturedFrame(new byte[60], i * 1_000L))];
        byte[] bytes = PcapRoundTripTests.WriteToMemory(frames, CaptureByteOrder.LittleEndian, TimestampResolution.Microseconds);
        using var file = TempCaptureFile.WithBytes(bytes.AsSpan(0, bytes.Length - bytesCut));

        using CaptureReader reader = CaptureReader.Open(file.Path);
        List<ReadFrame> read = CaptureFiles.ReadAll(reader);

        Assert.Equal(2, read.Count);
        Assert.True(reader.Truncated);
    }

    [Fact]
    public void A_complete_file_is_not_reported_as_truncated()
    {
        byte[] bytes = PcapRoundTripTests.WriteToMemory([new CapturedFrame(new byte[60], 0)], CaptureByteOrder.BigEndian, TimestampResolution.Nanoseconds);
        using var file = TempCaptureFile.WithBytes(bytes);

        using CaptureReader reader = CaptureReader.Open(file.Path);
        Assert.Single(CaptureFiles.ReadAll(reader));
        Assert.False(reader.Truncated);
    }

    [Theory]
    [InlineData(4)]    // inside the trailing block length: the record is whole, its block is not
    [InlineData(40)]   // inside the packet data
    public void A_pcapng_file_cut_inside_its_last_block_ends_cleanly_and_says_it_was_truncated(int bytesCut)
    {
        byte[] bytes = new PcapNgBuilder()
            .SectionHeader(bigEndian: false)
            .InterfaceDescription(1, 0)
            .EnhancedPacket(0, 1, new byte[60])
            .EnhancedPacket(0, 2, new byte[60])
            .ToArray();
        using var file = TempCaptureFile.WithBytes(bytes.AsSpan(0, bytes.Length - bytesCut), ".pcapng");

        using CaptureReader reader = CaptureReader.Open(file.Path);
        List<ReadFrame> read = CaptureFiles.ReadAll(reader);

        Assert.Equal(bytesCut == 4 ? 2 : 1, read.Count);
        Assert.True(reader.Truncated);
    }

    [Fact]
    public void A_pcap_record_claiming_more_than_256_KiB_is_rejected_naming_its_offset()
    {
        byte[] bytes = PcapRoundTripTests.WriteToMemory(
            [new CapturedFrame(new byte[60], 0), new CapturedFrame(new byte[60], 0)],
            CaptureByteOrder.LittleEndian, TimestampResolution.Microseconds);
        const int secondRecord = 24 + 16 + 60;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(secondRecord + 8), 300_000);
        using var file = TempCaptureFile.WithBytes(bytes);
        using CaptureReader reader = CaptureReader.Open(file.Path);
        var buffer = new byte[2048];

        Assert.True(reader.TryRead(buffer, out _));
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryRead(buffer, out _));

        Assert.Equal($"'{file.Path}' is malformed at offset {secondRecord}: captured length 300000 exceeds the limit of 262144 bytes.", error.Message);
        Assert.Equal(secondRecord, error.Offset);
    }

    [Fact]
    public void A_pcapng_packet_longer_than_its_block_is_rejected_naming_its_offset()
    {
        var builder = new PcapNgBuilder().SectionHeader(bigEndian: false).InterfaceDescription(1, 0);
        int packetOffset = builder.Length;
        byte[] bytes = builder.EnhancedPacket(0, 0, new byte[60]).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(packetOffset + 20), 200);
        using var file = TempCaptureFile.WithBytes(bytes, ".pcapng");
        using CaptureReader reader = CaptureReader.Open(file.Path);

        var error = Assert.Throws<CaptureFormatException>(() => reader.TryRead(new byte[2048], out _));

        Assert.Contains($"at offset {packetOffset}: captured length 200 does not fit in a block of 92 bytes", error.Message);
    }

    [Property(MaxTest = 300)]
    public void Random_bytes_after_any_header_end_cleanly_or_throw_only_CaptureFormatException(byte[] garbage, byte prefixChoice)
    {
        byte[] prefix = (prefixChoice % 4) switch
        {
            0 => [],
            1 => PcapRoundTripTests.WriteToMemory([], CaptureByteOrder.LittleEndian, TimestampResolution.Nanoseconds),
            2 => PcapRoundTripTests.WriteToMemory([], CaptureByteOrder.BigEndian, TimestampResolution.Microseconds),
            _ => new PcapNgBuilder().SectionHeader(bigEndian: prefixChoice % 8 >= 4).InterfaceDescription(1, 0).ToArray(),
        };
        byte[] bytes = [.. prefix, .. garbage];
        var buffer = new byte[prefixChoice % 3 == 0 ? 16 : CaptureFiles.LargestRecord];

        try
        {
            using CaptureReader reader = CaptureReader.Open(new TrickleStream(bytes, 1 + prefixChoice % 13), "garbage");
            while (reader.TryRead(buffer, out CaptureRecord record))
            {
                Assert.InRange(record.CapturedLength, 0, CaptureFiles.LargestRecord);
                Assert.True(record.OriginalLength >= 0);
            }
        }
        catch (CaptureFormatException error)
        {
            Assert.StartsWith("'garbage' ", error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
    }
}
