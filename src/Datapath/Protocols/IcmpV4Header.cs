using System.Buffers.Binary;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over an ICMPv4 message (RFC 792): type, code, checksum, the 4-byte rest-of-header
/// (echo id/sequence, next-hop MTU, pointer) and the body (echo data, or the quoted datagram of an error).
/// Never throws.
/// </summary>
public readonly ref struct IcmpV4Header
{
    /// <summary>Length of the fixed part (type, code, checksum, rest of header).</summary>
    public const int Length = 8;

    /// <summary>Echo reply.</summary>
    public const byte TypeEchoReply = 0;
    /// <summary>Destination unreachable.</summary>
    public const byte TypeDestinationUnreachable = 3;
    /// <summary>Redirect.</summary>
    public const byte TypeRedirect = 5;
    /// <summary>Echo request.</summary>
    public const byte TypeEchoRequest = 8;
    /// <summary>Time exceeded.</summary>
    public const byte TypeTimeExceeded = 11;
    /// <summary>Parameter problem.</summary>
    public const byte TypeParameterProblem = 12;

    /// <summary>Destination unreachable code: net unreachable.</summary>
    public const byte CodeNetUnreachable = 0;
    /// <summary>Destination unreachable code: host unreachable.</summary>
    public const byte CodeHostUnreachable = 1;
    /// <summary>Destination unreachable code: port unreachable.</summary>
    public const byte CodePortUnreachable = 3;
    /// <summary>Destination unreachable code: fragmentation needed and DF set.</summary>
    public const byte CodeFragmentationNeeded = 4;
    /// <summary>Destination unreachable code: communication administratively prohibited (RFC 1812).</summary>
    public const byte CodeAdministrativelyProhibited = 13;
    /// <summary>Time exceeded code: TTL exceeded in transit.</summary>
    public const byte CodeTtlExceeded = 0;

    private readonly ReadOnlySpan<byte> _message;

    private IcmpV4Header(ReadOnlySpan<byte> message) => _message = message;

    /// <summary>Reads the header; false when the span is shorter than 8 bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out IcmpV4Header header)
    {
        header = default;
        if (message.Length < Length) return false;
        header = new IcmpV4Header(message);
        return true;
    }

    /// <summary>Message type.</summary>
    public byte Type => _message[0];

    /// <summary>Message code.</summary>
    public byte Code => _message[1];

    /// <summary>Checksum field as sent.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(2));

    /// <summary>True when the whole message checksums to all ones.</summary>
    public bool IsChecksumValid => Protocols.Checksum.IsValid(_message);

    /// <summary>The four bytes after the checksum as one value.</summary>
    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(_message.Slice(4));

    /// <summary>Echo identifier (meaningful for echo request/reply).</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(4));

    /// <summary>Echo sequence number (meaningful for echo request/reply).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(6));

    /// <summary>True for the error types, whose body quotes the offending datagram.</summary>
    public bool IsError => Type is TypeDestinationUnreachable or TypeRedirect or TypeTimeExceeded or TypeParameterProblem;

    /// <summary>The body: echo data, or the quoted IP header and data of an error message.</summary>
    public ReadOnlySpan<byte> Body => _message.Slice(Length);

    /// <summary>
    /// Writes type, code and rest of header with a zero checksum; returns 8. Call <see cref="SetChecksum"/>
    /// once the body is in place.
    /// </summary>
    public static int Write(Span<byte> destination, byte type, byte code, uint restOfHeader)
    {
        if (destination.Length < Length) ThrowHelper.DestinationTooShort("an ICMP header", Length, destination.Length);
        destination[0] = type;
        destination[1] = code;
        destination[2] = 0;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(4), restOfHeader);
        return Length;
    }

    /// <summary>Computes and stores the checksum over the whole message (ICMPv4 has no pseudo-header).</summary>
    public static void SetChecksum(Span<byte> message)
    {
        message[2] = 0;
        message[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(2), Protocols.Checksum.Compute(message));
    }
}
