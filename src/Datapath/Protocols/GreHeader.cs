using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over a GRE header (RFC 2784 with the key and sequence-number extensions of RFC 2890) and its
/// payload. <see cref="TryRead"/> checks the version and the length the flags announce, so every member stays
/// inside the span; nothing here throws.
/// </summary>
/// <remarks>
/// Layout: C | 0 | K | S | reserved0 (9 bits) | version (3 bits) | protocol type (16), then in this order and only
/// when flagged: checksum (16) + reserved1 (16), key (32), sequence number (32).
/// </remarks>
public readonly ref struct GreHeader
{
    /// <summary>Length of a header with no optional fields.</summary>
    public const int MinimumLength = 4;
    /// <summary>Length of a header with checksum, key and sequence number.</summary>
    public const int MaximumLength = 16;
    /// <summary>The C bit: checksum and reserved1 fields present.</summary>
    public const ushort ChecksumPresent = 0x8000;
    /// <summary>The K bit (RFC 2890 §2): key field present.</summary>
    public const ushort KeyPresent = 0x2000;
    /// <summary>The S bit (RFC 2890 §2): sequence-number field present.</summary>
    public const ushort SequencePresent = 0x1000;

    // RFC 2784 §2.3: a receiver "MUST discard a packet where any of bits 1-5 are non-zero, unless that receiver
    // implements RFC 1701". RFC 2890 gives bits 2 and 3 back as K and S, which leaves bit 1 (routing present),
    // bit 4 (strict source route) and bit 5 (first recursion-control bit).
    private const ushort ForbiddenBits = 0x4000 | 0x0800 | 0x0400;
    private const ushort VersionMask = 0x0007;

    private readonly ReadOnlySpan<byte> _bytes;

    private GreHeader(ReadOnlySpan<byte> bytes, int headerLength)
    {
        _bytes = bytes;
        HeaderLength = headerLength;
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="packet"/> (the IP payload). O(1), allocation-free. False
    /// when the span is shorter than the header the flags announce, the version is not 0 (RFC 2784 §2.3.1), or a
    /// bit RFC 2784 §2.3 says to discard on is set. Does not verify the checksum (see <see cref="IsChecksumValid"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> packet, out GreHeader header)
    {
        header = default;
        if (packet.Length < MinimumLength) return false;
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(packet);
        if ((flags & (ForbiddenBits | VersionMask)) != 0) return false;
        int headerLength = GetHeaderLength((flags & ChecksumPresent) != 0, (flags & KeyPresent) != 0, (flags & SequencePresent) != 0);
        if (packet.Length < headerLength) return false;
        header = new GreHeader(packet, headerLength);
        return true;
    }

    /// <summary>Header length the flags imply: 4, plus 4 for each of checksum, key and sequence number.</summary>
    public static int GetHeaderLength(bool checksum, bool key, bool sequence) =>
        MinimumLength + (checksum ? 4 : 0) + (key ? 4 : 0) + (sequence ? 4 : 0);

    /// <summary>Header length in bytes (4..16), computed from the flags.</summary>
    public int HeaderLength { get; }

    /// <summary>The first 16 bits as sent: flags, reserved0 and version.</summary>
    public ushort Flags => BinaryPrimitives.ReadUInt16BigEndian(_bytes);

    /// <summary>True when the C bit announces a checksum.</summary>
    public bool HasChecksum => (_bytes[0] & (ChecksumPresent >> 8)) != 0;

    /// <summary>True when the K bit announces a key.</summary>
    public bool HasKey => (_bytes[0] & (KeyPresent >> 8)) != 0;

    /// <summary>True when the S bit announces a sequence number.</summary>
    public bool HasSequence => (_bytes[0] & (SequencePresent >> 8)) != 0;

    /// <summary>The payload's protocol as an EtherType (0x6558 for an Ethernet frame).</summary>
    public ushort ProtocolType => BinaryPrimitives.ReadUInt16BigEndian(_bytes.Slice(2));

    /// <summary>The checksum field; 0 when <see cref="HasChecksum"/> is false.</summary>
    public ushort Checksum => HasChecksum ? BinaryPrimitives.ReadUInt16BigEndian(_bytes.Slice(4)) : (ushort)0;

    /// <summary>The key (RFC 2890 §2.1); 0 when <see cref="HasKey"/> is false.</summary>
    public uint Key => HasKey ? BinaryPrimitives.ReadUInt32BigEndian(_bytes.Slice(HasChecksum ? 8 : 4)) : 0;

    /// <summary>The sequence number (RFC 2890 §2.2); 0 when <see cref="HasSequence"/> is false.</summary>
    public uint SequenceNumber => HasSequence ? BinaryPrimitives.ReadUInt32BigEndian(_bytes.Slice(HeaderLength - 4)) : 0;

    /// <summary>
    /// True when no checksum is present, or when header and payload (the whole span given to <see cref="TryRead"/>)
    /// sum to all ones (RFC 2784 §2.5). Costs one pass over the payload.
    /// </summary>
    public bool IsChecksumValid => !HasChecksum || Protocols.Checksum.IsValid(_bytes);

    /// <summary>The header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.Slice(0, HeaderLength);

    /// <summary>Everything after the header.</summary>
    public ReadOnlySpan<byte> Payload => _bytes.Slice(HeaderLength);

    /// <summary>
    /// Writes a version-0 header with the optional fields requested; the checksum field (when
    /// <paramref name="checksum"/> is true) is written as zero: put the payload behind the header, then call
    /// <see cref="SetChecksum"/>. Returns the header length. Throws <see cref="ArgumentException"/> when the
    /// destination is too short. Allocation-free.
    /// </summary>
    public static int Write(Span<byte> destination, ushort protocolType, uint? key = null, uint? sequence = null, bool checksum = false)
    {
        int headerLength = GetHeaderLength(checksum, key.HasValue, sequence.HasValue);
        if (destination.Length < headerLength) ThrowHelper.DestinationTooShort("a GRE header", headerLength, destination.Length);
        int flags = (checksum ? ChecksumPresent : 0) | (key.HasValue ? KeyPresent : 0) | (sequence.HasValue ? SequencePresent : 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), protocolType);
        int offset = MinimumLength;
        if (checksum)
        {
            // Checksum and reserved1 (RFC 2784 §2.5, §2.6); both zero until SetChecksum runs.
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(offset), 0);
            offset += 4;
        }
        if (key is uint keyValue)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(offset), keyValue);
            offset += 4;
        }
        if (sequence is uint sequenceValue)
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(offset), sequenceValue);
        return headerLength;
    }

    /// <summary>
    /// Computes the RFC 2784 §2.5 checksum over <paramref name="greAndPayload"/> (exactly the GRE header and its
    /// payload, i.e. the IP payload) and stores it in the checksum field. One pass over the bytes, allocation-free.
    /// Throws <see cref="ArgumentOutOfRangeException"/> when the span does not start with a GRE header whose C bit is set.
    /// </summary>
    public static void SetChecksum(Span<byte> greAndPayload)
    {
        if (greAndPayload.Length < MinimumLength + 4 || (BinaryPrimitives.ReadUInt16BigEndian(greAndPayload) & ChecksumPresent) == 0)
            ThrowHelper.ArgumentOutOfRange(nameof(greAndPayload), "The span does not start with a GRE header carrying a checksum field (C bit).");
        greAndPayload[4] = 0;
        greAndPayload[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(greAndPayload.Slice(4), Protocols.Checksum.Compute(greAndPayload));
    }
}
