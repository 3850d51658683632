using System.Buffers;

namespace NetFabric.Datapath.Capture.Internal;

/// Decodes classic pcap records (16-byte header, then captured_length bytes) after the file
/// header, whose byte order, resolution and link type <see cref="CaptureReader"/> parsed.
internal sealed class PcapDecoder(string fileName, bool bigEndian, bool nanoseconds, LinkType linkType)
    : CaptureDecoder(fileName, PcapFormat.FileHeaderLength)
{
    public override bool TryDecode(ref ReadOnlySequence<byte> buffer, Span<byte> destination, out CaptureRecord record)
    {
        record = default;
        if (buffer.Length < PcapFormat.RecordHeaderLength)
            return false;

        Span<byte> scratch = stackalloc byte[PcapFormat.RecordHeaderLength];
        var header = new HeaderFields(Peek(buffer, scratch), bigEndian);
        uint seconds = header.UInt32(0);
        uint fraction = header.UInt32(4);
        uint captured = header.UInt32(8);
        uint original = header.UInt32(12);

        if (captured > PcapFormat.MaximumRecordLength)
            CaptureThrowHelper.LengthTooLarge(FileName, Position, "captured length", captured, PcapFormat.MaximumRecordLength);
        if (original > int.MaxValue)
            CaptureThrowHelper.LengthTooLarge(FileName, Position, "original length", original, int.MaxValue);

        long recordLength = PcapFormat.RecordHeaderLength + captured;
        if (buffer.Length < recordLength)
            return false;

        CopyPacket(buffer, PcapFormat.RecordHeaderLength, (int)captured, destination);
        // The fraction is microseconds or nanoseconds by the magic (pcap draft, section 5); a
        // corrupt fraction >= 1 s is reported as is rather than rejected, as libpcap does.
        long timestamp = seconds * 1_000_000_000L + (nanoseconds ? fraction : fraction * 1_000L);
        record = new CaptureRecord(timestamp, (int)captured, (int)original, 0, linkType);
        Consume(ref buffer, recordLength);
        return true;
    }
}
