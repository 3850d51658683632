using System.Buffers.Binary;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over an ICMPv6 message (RFC 4443), with the neighbour discovery messages of RFC 4861
/// (solicitation and advertisement: target address, flags, link-layer address options). Never throws.
/// </summary>
public readonly ref struct IcmpV6Header
{
    /// <summary>Length of type, code, checksum and the 4-byte message-specific word.</summary>
    public const int Length = 8;
    /// <summary>Length of a neighbour solicitation/advertisement before its options.</summary>
    public const int NeighborMessageLength = 24;

    /// <summary>Destination unreachable.</summary>
    public const byte TypeDestinationUnreachable = 1;
    /// <summary>Packet too big.</summary>
    public const byte TypePacketTooBig = 2;
    /// <summary>Time exceeded.</summary>
    public const byte TypeTimeExceeded = 3;
    /// <summary>Parameter problem.</summary>
    public const byte TypeParameterProblem = 4;
    /// <summary>Echo request.</summary>
    public const byte TypeEchoRequest = 128;
    /// <summary>Echo reply.</summary>
    public const byte TypeEchoReply = 129;
    /// <summary>Router solicitation.</summary>
    public const byte TypeRouterSolicitation = 133;
    /// <summary>Router advertisement.</summary>
    public const byte TypeRouterAdvertisement = 134;
    /// <summary>Neighbour solicitation.</summary>
    public const byte TypeNeighborSolicitation = 135;
    /// <summary>Neighbour advertisement.</summary>
    public const byte TypeNeighborAdvertisement = 136;

    /// <summary>ND option: source link-layer address.</summary>
    public const byte OptionSourceLinkLayerAddress = 1;
    /// <summary>ND option: target link-layer address.</summary>
    public const byte OptionTargetLinkLayerAddress = 2;

    private readonly ReadOnlySpan<byte> _message;

    private IcmpV6Header(ReadOnlySpan<byte> message) => _message = message;

    /// <summary>
    /// Reads the header; false when shorter than 8 bytes, or when a neighbour solicitation/advertisement
    /// is shorter than its 24-byte fixed part.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out IcmpV6Header header)
    {
        header = default;
        if (message.Length < Length) return false;
        if (message[0] is TypeNeighborSolicitation or TypeNeighborAdvertisement && message.Length < NeighborMessageLength) return false;
        header = new IcmpV6Header(message);
        return true;
    }

    /// <summary>Message type.</summary>
    public byte Type => _message[0];

    /// <summary>Message code.</summary>
    public byte Code => _message[1];

    /// <summary>Checksum field as sent (covers the IPv6 pseudo-header).</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(2));

    /// <summary>The message-specific 32-bit word (echo id/sequence, MTU, pointer, ND flags).</summary>
    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(_message.Slice(4));

    /// <summary>Echo identifier.</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(4));

    /// <summary>Echo sequence number.</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(6));

    /// <summary>True for neighbour solicitation or advertisement.</summary>
    public bool IsNeighborDiscovery => Type is TypeNeighborSolicitation or TypeNeighborAdvertisement;

    /// <summary>The target address of a neighbour solicitation/advertisement (<see cref="IPv6Address.Any"/> otherwise).</summary>
    public IPv6Address TargetAddress => IsNeighborDiscovery ? IPv6Address.Read(_message.Slice(8)) : default;

    /// <summary>Neighbour advertisement R flag (sender is a router).</summary>
    public bool RouterFlag => Type == TypeNeighborAdvertisement && (_message[4] & 0x80) != 0;

    /// <summary>Neighbour advertisement S flag (response to a solicitation).</summary>
    public bool SolicitedFlag => Type == TypeNeighborAdvertisement && (_message[4] & 0x40) != 0;

    /// <summary>Neighbour advertisement O flag (override cached entry).</summary>
    public bool OverrideFlag => Type == TypeNeighborAdvertisement && (_message[4] & 0x20) != 0;

    /// <summary>The bytes after the 8-byte header (echo data, quoted packet of an error, ND target and options).</summary>
    public ReadOnlySpan<byte> Body => _message.Slice(Length);

    /// <summary>
    /// The source (NS) or target (NA) link-layer address option of a neighbour message. False when absent,
    /// not an Ethernet address, or when an option is malformed (zero length or past the end): the walk stops there.
    /// </summary>
    public bool TryGetLinkLayerAddress(out MacAddress address)
    {
        address = default;
        if (!IsNeighborDiscovery) return false;
        byte wanted = Type == TypeNeighborSolicitation ? OptionSourceLinkLayerAddress : OptionTargetLinkLayerAddress;
        var options = _message.Slice(NeighborMessageLength);
        while (options.Length >= 2)
        {
            int length = options[1] * 8;
            // RFC 4861 §4.6: a zero length is invalid and the whole message must be discarded.
            if (length == 0 || length > options.Length) return false;
            if (options[0] == wanted && length == 8)
            {
                address = MacAddress.Read(options.Slice(2));
                return true;
            }
            options = options.Slice(length);
        }
        return false;
    }

    /// <summary>Writes type, code and the 32-bit word with a zero checksum; returns 8.</summary>
    public static int Write(Span<byte> destination, byte type, byte code, uint restOfHeader)
    {
        if (destination.Length < Length) ThrowHelper.DestinationTooShort("an ICMPv6 header", Length, destination.Length);
        destination[0] = type;
        destination[1] = code;
        destination[2] = 0;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(4), restOfHeader);
        return Length;
    }

    /// <summary>Computes and stores the checksum of the whole message over the IPv6 pseudo-header.</summary>
    public static void SetChecksum(Span<byte> message, IPv6Address source, IPv6Address destination)
    {
        message[2] = 0;
        message[3] = 0;
        ulong pseudo = Protocols.Checksum.PseudoHeaderSum(source, destination, IpProtocol.IcmpV6, message.Length);
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(2), Protocols.Checksum.Finish(Protocols.Checksum.Sum(message, pseudo)));
    }
}
