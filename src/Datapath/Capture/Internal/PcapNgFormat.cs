namespace NetFabric.Datapath.Capture.Internal;

/// Block and option constants of pcapng (draft-ietf-opsawg-pcapng). Every block is
/// type(4) total_length(4) body(...) total_length(4), 32-bit aligned (section 3.1); options are
/// code(2) length(2) value padded to 32 bits, ended by opt_endofopt (section 3.5).
internal static class PcapNgFormat
{
    /// Section Header Block type (section 4.1). It is a palindrome, so it reads the same in both
    /// byte orders: a reader can recognise it before it knows the section's byte order.
    public const uint SectionHeaderBlock = 0x0A0D0D0A;
    public const uint InterfaceDescriptionBlock = 0x00000001;   // section 4.2
    public const uint ObsoletePacketBlock = 0x00000002;         // appendix "Packet Block (obsolete)"
    public const uint SimplePacketBlock = 0x00000003;           // section 4.4
    public const uint EnhancedPacketBlock = 0x00000006;         // section 4.3

    /// Byte-order magic of the SHB, read as little-endian: this value means the section is
    /// little-endian, its byte swap that it is big-endian.
    public const uint ByteOrderMagic = 0x1A2B3C4D;
    public const uint ByteOrderMagicSwapped = 0x4D3C2B1A;

    public const ushort SupportedMajorVersion = 1;

    /// type + length + trailing length: the smallest well-formed block.
    public const int BlockOverhead = 12;
    /// SHB fixed part: type, length, byte-order magic, major, minor, section length (64 bits).
    public const int SectionHeaderFixedLength = 24;
    public const int SectionHeaderMinimumLength = SectionHeaderFixedLength + 4;
    /// IDB: type, length, link type(2), reserved(2), snaplen(4), trailing length.
    public const int InterfaceDescriptionMinimumLength = 20;
    /// EPB (and obsolete PB): type, length, interface, ts high, ts low, captured, original = 28.
    public const int PacketHeaderLength = 28;
    public const int PacketBlockMinimumLength = PacketHeaderLength + 4;
    /// SPB: type, length, original length = 12, then data, trailing length.
    public const int SimplePacketHeaderLength = 12;
    public const int SimplePacketMinimumLength = SimplePacketHeaderLength + 4;

    /// An IDB is buffered whole to read its options; real ones are a few dozen bytes, so a
    /// larger length is corruption and rejecting it bounds the pipe's buffering.
    public const int MaximumInterfaceDescriptionLength = 1 << 20;

    public const ushort OptionEndOfOptions = 0;
    public const ushort OptionInterfaceTimestampResolution = 9;  // if_tsresol, section 4.2
    public const ushort OptionInterfaceTimestampOffset = 14;     // if_tsoffset, section 4.2
    public const int OptionHeaderLength = 4;

    public static int PadTo32Bits(int length) => (length + 3) & ~3;
}
