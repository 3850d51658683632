using System.Buffers.Binary;

namespace NetFabric.Datapath.Capture.Internal;

/// Layout of classic pcap files (draft-ietf-opsawg-pcap, "PCAP Capture File Format").
///
/// File header, 24 bytes:   magic(4) version_major(2) version_minor(2) reserved1/thiszone(4)
///                          reserved2/sigfigs(4) snaplen(4) linktype_and_fcs(4)
/// Record header, 16 bytes: ts_seconds(4) ts_fraction(4) captured_length(4) original_length(4)
///
/// All fields are in the writer's byte order, which the reader learns from the magic.
internal static class PcapFormat
{
    public const int FileHeaderLength = 24;
    public const int RecordHeaderLength = 16;

    // The magic read as a little-endian integer: the first two values are files written by a
    // little-endian host, the swapped ones files written by a big-endian host (section 4).
    public const uint MicrosecondMagic = 0xA1B2C3D4;
    public const uint NanosecondMagic = 0xA1B23C4D;
    public const uint MicrosecondMagicSwapped = 0xD4C3B2A1;
    public const uint NanosecondMagicSwapped = 0x4D3CB2A1;

    public const ushort VersionMajor = 2;
    public const ushort VersionMinor = 4;

    /// libpcap's MAXIMUM_SNAPLEN: no capture tool stores more than 256 KiB of one packet, so a
    /// larger captured length is corruption, and rejecting it bounds how much the pipe buffers.
    public const int MaximumRecordLength = 262144;

    public static bool IsPcapMagic(uint magicLittleEndian, out bool bigEndian, out bool nanoseconds)
    {
        (bool ok, bigEndian, nanoseconds) = magicLittleEndian switch
        {
            MicrosecondMagic => (true, false, false),
            NanosecondMagic => (true, false, true),
            MicrosecondMagicSwapped => (true, true, false),
            NanosecondMagicSwapped => (true, true, true),
            _ => (false, false, false),
        };
        return ok;
    }

    public static void WriteFileHeader(Span<byte> destination, bool bigEndian, bool nanoseconds, int snapLength, LinkType linkType)
    {
        WriteUInt32(destination, bigEndian, nanoseconds ? NanosecondMagic : MicrosecondMagic);
        WriteUInt16(destination[4..], bigEndian, VersionMajor);
        WriteUInt16(destination[6..], bigEndian, VersionMinor);
        WriteUInt32(destination[8..], bigEndian, 0);   // thiszone: timestamps are UTC
        WriteUInt32(destination[12..], bigEndian, 0);  // sigfigs: always 0 in practice
        WriteUInt32(destination[16..], bigEndian, (uint)snapLength);
        // Bits 16-31 carry the FCS length and reserved bits; NetFabric frames never include an FCS.
        WriteUInt32(destination[20..], bigEndian, (ushort)linkType);
    }

    public static void WriteRecordHeader(Span<byte> destination, bool bigEndian, uint seconds, uint fraction, int capturedLength, int originalLength)
    {
        WriteUInt32(destination, bigEndian, seconds);
        WriteUInt32(destination[4..], bigEndian, fraction);
        WriteUInt32(destination[8..], bigEndian, (uint)capturedLength);
        WriteUInt32(destination[12..], bigEndian, (uint)originalLength);
    }

    private static void WriteUInt16(Span<byte> destination, bool bigEndian, ushort value)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(destination, value);
        else BinaryPrimitives.WriteUInt16LittleEndian(destination, value);
    }

    private static void WriteUInt32(Span<byte> destination, bool bigEndian, uint value)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(destination, value);
        else BinaryPrimitives.WriteUInt32LittleEndian(destination, value);
    }
}
