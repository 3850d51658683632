using System.Buffers.Binary;

namespace NetFabric.Datapath.Capture.Internal;

/// Reads the fixed-size integer fields of a pcap or pcapng header in the byte order the file
/// declared (pcap: by its magic; pcapng: per section, by the Section Header Block's byte-order
/// magic). Callers slice exactly the header they validated, so the offsets are always in range.
internal readonly ref struct HeaderFields(ReadOnlySpan<byte> bytes, bool bigEndian)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;

    public ushort UInt16(int offset) => bigEndian
        ? BinaryPrimitives.ReadUInt16BigEndian(_bytes[offset..])
        : BinaryPrimitives.ReadUInt16LittleEndian(_bytes[offset..]);

    public uint UInt32(int offset) => bigEndian
        ? BinaryPrimitives.ReadUInt32BigEndian(_bytes[offset..])
        : BinaryPrimitives.ReadUInt32LittleEndian(_bytes[offset..]);

    public long Int64(int offset) => bigEndian
        ? BinaryPrimitives.ReadInt64BigEndian(_bytes[offset..])
        : BinaryPrimitives.ReadInt64LittleEndian(_bytes[offset..]);
}
