using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over a TCP header (RFC 9293): ports, sequence numbers, flags, options and payload.
/// <see cref="TryRead"/> checks the data offset so the options stay inside the span; the option walk
/// stops at a malformed option rather than reading past it. Never throws.
/// </summary>
public readonly ref struct TcpHeader
{
    /// <summary>Length of a header without options.</summary>
    public const int MinimumLength = 20;

    /// <summary>Option kind: end of option list.</summary>
    public const byte OptionEnd = 0;
    /// <summary>Option kind: no-operation (padding).</summary>
    public const byte OptionNop = 1;
    /// <summary>Option kind: maximum segment size.</summary>
    public const byte OptionMss = 2;

    private readonly ReadOnlySpan<byte> _segment;

    private TcpHeader(ReadOnlySpan<byte> segment, int headerLength)
    {
        _segment = segment;
        HeaderLength = headerLength;
    }

    /// <summary>Reads the header; false when the span is shorter than 20 bytes or than the data offset, or the data offset is below 5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> segment, out TcpHeader header)
    {
        header = default;
        if (segment.Length < MinimumLength) return false;
        int headerLength = (segment[12] >> 4) * 4;
        if (headerLength < MinimumLength || headerLength > segment.Length) return false;
        header = new TcpHeader(segment, headerLength);
        return true;
    }

    /// <summary>Source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_segment);

    /// <summary>Destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_segment.Slice(2));

    /// <summary>Sequence number.</summary>
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_segment.Slice(4));

    /// <summary>Acknowledgment number.</summary>
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_segment.Slice(8));

    /// <summary>Header length in bytes (data offset × 4), 20..60.</summary>
    public int HeaderLength { get; }

    /// <summary>The nine control bits.</summary>
    public TcpFlags Flags => (TcpFlags)(BinaryPrimitives.ReadUInt16BigEndian(_segment.Slice(12)) & 0x01FF);

    /// <summary>Receive window.</summary>
    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_segment.Slice(14));

    /// <summary>Checksum field as sent.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_segment.Slice(16));

    /// <summary>Urgent pointer.</summary>
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_segment.Slice(18));

    /// <summary>The raw options bytes.</summary>
    public ReadOnlySpan<byte> Options => _segment.Slice(MinimumLength, HeaderLength - MinimumLength);

    /// <summary>The bytes after the header.</summary>
    public ReadOnlySpan<byte> Payload => _segment.Slice(HeaderLength);

    /// <summary>
    /// Finds option <paramref name="kind"/> and returns its value bytes. False when absent, or when an option
    /// before it is malformed (length below 2 or past the options area): the walk never skips past the header.
    /// </summary>
    public bool TryGetOption(byte kind, out ReadOnlySpan<byte> value)
    {
        value = default;
        var options = Options;
        int i = 0;
        while (i < options.Length)
        {
            byte current = options[i];
            if (current == OptionEnd) return false;
            if (current == OptionNop) { i++; continue; }
            if (i + 1 >= options.Length) return false;
            int length = options[i + 1];
            if (length < 2 || i + length > options.Length) return false;
            if (current == kind)
            {
                value = options.Slice(i + 2, length - 2);
                return true;
            }
            i += length;
        }
        return false;
    }

    /// <summary>The maximum segment size option, when present and well formed.</summary>
    public bool TryGetMaximumSegmentSize(out ushort mss)
    {
        mss = 0;
        if (!TryGetOption(OptionMss, out var value) || value.Length != 2) return false;
        mss = BinaryPrimitives.ReadUInt16BigEndian(value);
        return true;
    }

    /// <summary>
    /// Writes the header with a zero checksum; returns its length. <paramref name="options"/> must be a
    /// multiple of four bytes, at most 40. Compute the checksum with <see cref="SetChecksum"/> once the payload is in place.
    /// </summary>
    public static int Write(Span<byte> destination, ushort sourcePort, ushort destinationPort, uint sequenceNumber, uint acknowledgmentNumber,
        TcpFlags flags, ushort window, ushort urgentPointer = 0, ReadOnlySpan<byte> options = default)
    {
        if (options.Length % 4 != 0 || options.Length > 40) ThrowHelper.ArgumentOutOfRange(nameof(options), "TCP options are a multiple of 4 bytes, at most 40.");
        int headerLength = MinimumLength + options.Length;
        if (destination.Length < headerLength) ThrowHelper.DestinationTooShort("a TCP header", headerLength, destination.Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(4), sequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(8), acknowledgmentNumber);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(12), (ushort)(((headerLength / 4) << 12) | ((int)flags & 0x01FF)));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(14), window);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(16), 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(18), urgentPointer);
        options.CopyTo(destination.Slice(MinimumLength));
        return headerLength;
    }

    /// <summary>Computes and stores the checksum of the whole segment (header + payload) given its pseudo-header sum.</summary>
    public static void SetChecksum(Span<byte> segment, ulong pseudoHeaderSum)
    {
        segment[16] = 0;
        segment[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(segment.Slice(16), Protocols.Checksum.Finish(Protocols.Checksum.Sum(segment, pseudoHeaderSum)));
    }
}
