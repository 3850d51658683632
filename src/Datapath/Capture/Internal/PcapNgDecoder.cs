using System.Buffers;
using System.Buffers.Binary;

namespace NetFabric.Datapath.Capture.Internal;

/// Decodes a pcapng stream block by block (draft-ietf-opsawg-pcapng). Section Header Blocks set
/// the byte order and forget the previous section's interfaces (section 4.1); Interface
/// Description Blocks are remembered per section; Enhanced, Simple and obsolete Packet Blocks
/// become records; every other block type (name resolution, statistics, secrets, custom, and
/// types not yet defined) is skipped by its length, as section 3.1 asks of readers.
///
/// Only a packet block's fixed header and data need to be buffered: its options and trailer,
/// like whole unknown blocks, are dropped through <see cref="CaptureDecoder.PendingSkip"/> as
/// they stream past, so a block of any length never makes the pipe buffer more than one packet.
internal sealed class PcapNgDecoder(string fileName) : CaptureDecoder(fileName, 0)
{
    // Allocated once per reader and per IDB, never per packet.
    private readonly List<InterfaceDescription> _interfaces = [];
    private bool _bigEndian;
    private bool _inSection;

    public override bool TryDecode(ref ReadOnlySequence<byte> buffer, Span<byte> destination, out CaptureRecord record)
    {
        record = default;
        Span<byte> scratch = stackalloc byte[PcapNgFormat.PacketHeaderLength];
        while (true)
        {
            if (!SkipPending(ref buffer))
                return false;
            // Every block starts with type and length; 12 bytes also cover the SHB's byte-order
            // magic, needed before its length can be read.
            if (buffer.Length < PcapNgFormat.BlockOverhead)
                return false;

            ReadOnlySpan<byte> start = Peek(buffer, scratch[..PcapNgFormat.BlockOverhead]);
            if (BinaryPrimitives.ReadUInt32LittleEndian(start) == PcapNgFormat.SectionHeaderBlock)
            {
                if (!TryReadSectionHeader(ref buffer, scratch))
                    return false;
                continue;
            }
            if (!_inSection)
                CaptureThrowHelper.Malformed(FileName, Position, "the file does not start with a pcapng Section Header Block");

            var fields = new HeaderFields(start, _bigEndian);
            uint type = fields.UInt32(0);
            uint blockLength = fields.UInt32(4);
            // Section 3.1: the total length counts type, length and trailer and is a multiple of 4.
            if (blockLength < PcapNgFormat.BlockOverhead || blockLength % 4 != 0)
                CaptureThrowHelper.Malformed(FileName, Position, $"block length {blockLength} is not a multiple of 4 of at least 12");

            switch (type)
            {
                case PcapNgFormat.InterfaceDescriptionBlock:
                    if (!TryReadInterfaceDescription(ref buffer, blockLength))
                        return false;
                    continue;
                case PcapNgFormat.EnhancedPacketBlock:
                case PcapNgFormat.ObsoletePacketBlock:
                    return TryReadPacket(ref buffer, type, blockLength, scratch, destination, out record);
                case PcapNgFormat.SimplePacketBlock:
                    return TryReadSimplePacket(ref buffer, start, blockLength, destination, out record);
                default:
                    PendingSkip = blockLength;
                    continue;
            }
        }
    }

    private bool TryReadSectionHeader(ref ReadOnlySequence<byte> buffer, Span<byte> scratch)
    {
        uint byteOrderMagic = BinaryPrimitives.ReadUInt32LittleEndian(Peek(buffer, scratch[..12])[8..]);
        bool bigEndian = byteOrderMagic switch
        {
            PcapNgFormat.ByteOrderMagic => false,
            PcapNgFormat.ByteOrderMagicSwapped => true,
            _ => ThrowBadByteOrderMagic(byteOrderMagic),
        };
        if (buffer.Length < PcapNgFormat.SectionHeaderFixedLength)
            return false;

        var fields = new HeaderFields(Peek(buffer, scratch[..PcapNgFormat.SectionHeaderFixedLength]), bigEndian);
        uint blockLength = fields.UInt32(4);
        if (blockLength < PcapNgFormat.SectionHeaderMinimumLength || blockLength % 4 != 0)
            CaptureThrowHelper.Malformed(FileName, Position, $"section header length {blockLength} is not a multiple of 4 of at least 28");
        ushort major = fields.UInt16(12);
        // Section 4.1: a reader must not interpret a section whose major version it does not know.
        if (major != PcapNgFormat.SupportedMajorVersion)
            CaptureThrowHelper.Malformed(FileName, Position, $"pcapng version {major}.{fields.UInt16(14)} is not supported (only 1.x)");

        _bigEndian = bigEndian;
        _inSection = true;
        _interfaces.Clear();
        // The section length field may be -1 (unknown) and the options (shb_hardware,
        // shb_userappl…) do not affect decoding, so both are skipped with the trailer.
        Consume(ref buffer, PcapNgFormat.SectionHeaderFixedLength);
        PendingSkip = blockLength - PcapNgFormat.SectionHeaderFixedLength;
        return true;
    }

    private bool ThrowBadByteOrderMagic(uint magic)
    {
        CaptureThrowHelper.Malformed(FileName, Position, $"section header byte-order magic 0x{magic:x8} is neither 0x1a2b3c4d nor its byte swap");
        return false;
    }

    private bool TryReadInterfaceDescription(ref ReadOnlySequence<byte> buffer, uint blockLength)
    {
        if (blockLength < PcapNgFormat.InterfaceDescriptionMinimumLength)
            CaptureThrowHelper.Malformed(FileName, Position, $"interface description block length {blockLength} is shorter than 20");
        if (blockLength > PcapNgFormat.MaximumInterfaceDescriptionLength)
            CaptureThrowHelper.LengthTooLarge(FileName, Position, "interface description block length", blockLength, PcapNgFormat.MaximumInterfaceDescriptionLength);
        if (buffer.Length < blockLength)
            return false;

        // The whole block is needed to read its options; it is almost always in one segment.
        // Otherwise it is copied to a pooled array: once per interface, never per packet.
        ReadOnlySequence<byte> block = buffer.Slice(0, blockLength);
        byte[]? rented = null;
        ReadOnlySpan<byte> bytes = block.FirstSpan;
        if (!block.IsSingleSegment)
        {
            rented = ArrayPool<byte>.Shared.Rent((int)blockLength);
            block.CopyTo(rented);
            bytes = rented.AsSpan(0, (int)blockLength);
        }
        try
        {
            _interfaces.Add(ParseInterfaceDescription(bytes));
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
        Consume(ref buffer, blockLength);
        return true;
    }

    private InterfaceDescription ParseInterfaceDescription(ReadOnlySpan<byte> block)
    {
        var fields = new HeaderFields(block, _bigEndian);
        var linkType = (LinkType)fields.UInt16(8);
        uint snapLength = fields.UInt32(12);
        // Section 4.2: without if_tsresol the timestamps are in microseconds.
        TimestampScale scale = TimestampScale.Microseconds;
        long offsetNanoseconds = 0;

        const int optionsStart = 16;
        ReadOnlySpan<byte> options = block[optionsStart..^4];
        int at = 0;
        while (options.Length - at >= PcapNgFormat.OptionHeaderLength)
        {
            var option = new HeaderFields(options[at..], _bigEndian);
            ushort code = option.UInt16(0);
            int length = option.UInt16(2);
            if (code == PcapNgFormat.OptionEndOfOptions)
                break;
            int valueStart = at + PcapNgFormat.OptionHeaderLength;
            if (PcapNgFormat.PadTo32Bits(length) > options.Length - valueStart)
                CaptureThrowHelper.LengthBeyondBlock(FileName, Position + optionsStart + at, "option length", (uint)length, block.Length);

            ReadOnlySpan<byte> value = options.Slice(valueStart, length);
            if (code == PcapNgFormat.OptionInterfaceTimestampResolution && length >= 1)
                scale = TimestampScale.FromTsresol(value[0]);
            else if (code == PcapNgFormat.OptionInterfaceTimestampOffset && length >= 8)
                offsetNanoseconds = unchecked(new HeaderFields(value, _bigEndian).Int64(0) * 1_000_000_000L);
            // Every other option (if_name, if_description, comments, custom options) is skipped.
            at = valueStart + PcapNgFormat.PadTo32Bits(length);
        }
        return new InterfaceDescription(linkType, snapLength, scale, offsetNanoseconds);
    }

    private bool TryReadPacket(ref ReadOnlySequence<byte> buffer, uint type, uint blockLength, Span<byte> scratch,
        Span<byte> destination, out CaptureRecord record)
    {
        record = default;
        if (blockLength < PcapNgFormat.PacketBlockMinimumLength)
            CaptureThrowHelper.Malformed(FileName, Position, $"packet block length {blockLength} is shorter than 32");
        if (buffer.Length < PcapNgFormat.PacketHeaderLength)
            return false;

        // EPB (section 4.3): interface(4) ts_high(4) ts_low(4) captured(4) original(4) data.
        // The obsolete Packet Block has interface(2) drops(2) in place of interface(4).
        var fields = new HeaderFields(Peek(buffer, scratch[..PcapNgFormat.PacketHeaderLength]), _bigEndian);
        uint interfaceId = type == PcapNgFormat.EnhancedPacketBlock ? fields.UInt32(8) : fields.UInt16(8);
        ulong units = ((ulong)fields.UInt32(12) << 32) | fields.UInt32(16);
        uint captured = fields.UInt32(20);
        uint original = fields.UInt32(24);

        if (captured > PcapFormat.MaximumRecordLength)
            CaptureThrowHelper.LengthTooLarge(FileName, Position, "captured length", captured, PcapFormat.MaximumRecordLength);
        int paddedData = PcapNgFormat.PadTo32Bits((int)captured);
        if (PcapNgFormat.PacketBlockMinimumLength + paddedData > blockLength)
            CaptureThrowHelper.LengthBeyondBlock(FileName, Position, "captured length", captured, blockLength);
        if (original > int.MaxValue)
            CaptureThrowHelper.LengthTooLarge(FileName, Position, "original length", original, int.MaxValue);
        if (interfaceId >= (uint)_interfaces.Count)
            CaptureThrowHelper.Malformed(FileName, Position, $"packet refers to interface {interfaceId} but the section describes {_interfaces.Count}");

        long dataEnd = PcapNgFormat.PacketHeaderLength + captured;
        if (buffer.Length < dataEnd)
            return false;

        InterfaceDescription description = _interfaces[(int)interfaceId];
        CopyPacket(buffer, PcapNgFormat.PacketHeaderLength, (int)captured, destination);
        record = new CaptureRecord(description.ToNanoseconds(units), (int)captured, (int)original, (int)interfaceId, description.LinkType);
        Consume(ref buffer, dataEnd);
        // Padding, options (epb_flags, epb_hash, comments…) and the trailing length.
        PendingSkip = blockLength - dataEnd;
        return true;
    }

    private bool TryReadSimplePacket(ref ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> start, uint blockLength,
        Span<byte> destination, out CaptureRecord record)
    {
        record = default;
        if (blockLength < PcapNgFormat.SimplePacketMinimumLength)
            CaptureThrowHelper.Malformed(FileName, Position, $"simple packet block length {blockLength} is shorter than 16");
        if (_interfaces.Count == 0)
            CaptureThrowHelper.Malformed(FileName, Position, "simple packet block before any interface description block");

        // Section 4.4: an SPB belongs to interface 0 and stores min(original length, snaplen)
        // bytes (snaplen 0 meaning no limit). A block shorter than that holds what it holds.
        uint original = new HeaderFields(start, _bigEndian).UInt32(8);
        InterfaceDescription description = _interfaces[0];
        uint captured = original;
        if (description.SnapLength != 0 && description.SnapLength < captured)
            captured = description.SnapLength;
        uint room = blockLength - PcapNgFormat.SimplePacketMinimumLength;
        if (captured > room)
            captured = room;
        if (captured > PcapFormat.MaximumRecordLength)
            CaptureThrowHelper.LengthTooLarge(FileName, Position, "captured length", captured, PcapFormat.MaximumRecordLength);
        if (original > int.MaxValue)
            CaptureThrowHelper.LengthTooLarge(FileName, Position, "original length", original, int.MaxValue);

        long dataEnd = PcapNgFormat.SimplePacketHeaderLength + captured;
        if (buffer.Length < dataEnd)
            return false;

        CopyPacket(buffer, PcapNgFormat.SimplePacketHeaderLength, (int)captured, destination);
        // SPBs carry no timestamp: 0 says so rather than inventing one.
        record = new CaptureRecord(0, (int)captured, (int)original, 0, description.LinkType);
        Consume(ref buffer, dataEnd);
        PendingSkip = blockLength - dataEnd;
        return true;
    }
}
