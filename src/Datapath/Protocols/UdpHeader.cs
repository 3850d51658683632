using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>A read view over a UDP header (RFC 768) and its payload. Never throws.</summary>
public readonly ref struct UdpHeader
{
    /// <summary>Length of the UDP header.</summary>
    public const int Length = 8;

    private readonly ReadOnlySpan<byte> _datagram;
    private readonly int _end;

    private UdpHeader(ReadOnlySpan<byte> datagram, int end)
    {
        _datagram = datagram;
        _end = end;
    }

    /// <summary>
    /// Reads the header. False when the span is shorter than 8 bytes or the length field is below 8.
    /// A length beyond the span is accepted (<see cref="IsTruncated"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> datagram, out UdpHeader header)
    {
        header = default;
        if (datagram.Length < Length) return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram.Slice(4));
        if (length < Length) return false;
        header = new UdpHeader(datagram, Math.Min(length, datagram.Length));
        return true;
    }

    /// <summary>Source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_datagram);

    /// <summary>Destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_datagram.Slice(2));

    /// <summary>The length field (header + payload) as sent.</summary>
    public int DatagramLength => BinaryPrimitives.ReadUInt16BigEndian(_datagram.Slice(4));

    /// <summary>The checksum field; 0 means "not computed" over IPv4.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_datagram.Slice(6));

    /// <summary>True when the span ends before the announced length.</summary>
    public bool IsTruncated => _end < DatagramLength;

    /// <summary>The header and payload bytes present (up to the length field).</summary>
    public ReadOnlySpan<byte> Bytes => _datagram.Slice(0, _end);

    /// <summary>The payload present in the span.</summary>
    public ReadOnlySpan<byte> Payload => _datagram.Slice(Length, _end - Length);

    /// <summary>
    /// Writes the header with a zero checksum; returns 8. Compute the checksum once the payload is in
    /// place with <see cref="SetChecksum(Span{byte}, ulong)"/>.
    /// </summary>
    public static int Write(Span<byte> destination, ushort sourcePort, ushort destinationPort, int payloadLength)
    {
        if (destination.Length < Length) ThrowHelper.DestinationTooShort("a UDP header", Length, destination.Length);
        if ((uint)(payloadLength + Length) > ushort.MaxValue) ThrowHelper.ArgumentOutOfRange(nameof(payloadLength), "A UDP datagram is at most 65535 bytes.");
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(4), (ushort)(payloadLength + Length));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(6), 0);
        return Length;
    }

    /// <summary>
    /// Computes and stores the checksum of the whole datagram in <paramref name="datagram"/> (header + payload,
    /// exactly the datagram's length) given its pseudo-header sum. A computed 0 is sent as 0xFFFF (RFC 768).
    /// </summary>
    public static void SetChecksum(Span<byte> datagram, ulong pseudoHeaderSum)
    {
        datagram[6] = 0;
        datagram[7] = 0;
        ushort value = Protocols.Checksum.Finish(Protocols.Checksum.Sum(datagram, pseudoHeaderSum));
        BinaryPrimitives.WriteUInt16BigEndian(datagram.Slice(6), TransmittedChecksum(value));
    }

    /// <summary>
    /// The checksum field value for a computed UDP checksum: a computed 0 is sent as 0xFFFF, because 0 in the field
    /// means "no checksum" (RFC 768).
    /// </summary>
    public static ushort TransmittedChecksum(ushort computed) => computed == 0 ? (ushort)0xFFFF : computed;
}
