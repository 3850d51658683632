using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over an IPv4 header (RFC 791) with its options and payload. <see cref="TryRead"/>
/// checks version, IHL and lengths so every property stays inside the span; it never throws.
/// </summary>
public readonly ref struct Ipv4Header
{
    /// <summary>Length of a header without options.</summary>
    public const int MinimumLength = 20;
    /// <summary>Longest header (IHL = 15).</summary>
    public const int MaximumLength = 60;

    private readonly ReadOnlySpan<byte> _packet;

    private Ipv4Header(ReadOnlySpan<byte> packet, int headerLength, int end)
    {
        _packet = packet;
        HeaderLength = headerLength;
        _end = end;
    }

    private readonly int _end;

    /// <summary>
    /// Reads the header at the start of <paramref name="packet"/>. False when the span is shorter than
    /// 20 bytes or than the IHL, when the version is not 4, or when total length is below the header length.
    /// A total length beyond the span is accepted (the packet is <see cref="IsTruncated"/>); bytes beyond
    /// total length (Ethernet padding) are not part of <see cref="Payload"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> packet, out Ipv4Header header)
    {
        header = default;
        if (packet.Length < MinimumLength) return false;
        int versionIhl = packet[0];
        int headerLength = (versionIhl & 0x0F) * 4;
        if ((versionIhl >> 4) != 4 || headerLength < MinimumLength || headerLength > packet.Length) return false;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(2));
        if (totalLength < headerLength) return false;
        header = new Ipv4Header(packet, headerLength, Math.Min(totalLength, packet.Length));
        return true;
    }

    /// <summary>Header length in bytes (IHL × 4), 20..60.</summary>
    public int HeaderLength { get; }

    /// <summary>The type-of-service byte (DSCP in the upper six bits, ECN in the lower two).</summary>
    public byte TypeOfService => _packet[1];

    /// <summary>Total length field (header + payload) as sent.</summary>
    public int TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(2));

    /// <summary>True when the span ends before <see cref="TotalLength"/>.</summary>
    public bool IsTruncated => _end < TotalLength;

    /// <summary>Identification field.</summary>
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(4));

    /// <summary>The don't-fragment flag.</summary>
    public bool DontFragment => (_packet[6] & 0x40) != 0;

    /// <summary>The more-fragments flag.</summary>
    public bool MoreFragments => (_packet[6] & 0x20) != 0;

    /// <summary>Fragment offset in bytes (the field counts 8-byte units).</summary>
    public int FragmentOffset => (BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(6)) & 0x1FFF) * 8;

    /// <summary>True for any fragment: more-fragments set or a non-zero offset.</summary>
    public bool IsFragment => (BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(6)) & 0x3FFF) != 0;

    /// <summary>Time to live.</summary>
    public byte TimeToLive => _packet[8];

    /// <summary>The payload's protocol (see <see cref="IpProtocol"/>).</summary>
    public byte Protocol => _packet[9];

    /// <summary>The header checksum field as sent.</summary>
    public ushort HeaderChecksum => BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(10));

    /// <summary>True when the header (options included) checksums to all ones.</summary>
    public bool IsChecksumValid => Checksum.IsValid(_packet.Slice(0, HeaderLength));

    /// <summary>Source address.</summary>
    public IPv4Address Source => IPv4Address.Read(_packet.Slice(12));

    /// <summary>Destination address.</summary>
    public IPv4Address Destination => IPv4Address.Read(_packet.Slice(16));

    /// <summary>The raw options bytes (empty when IHL = 5).</summary>
    public ReadOnlySpan<byte> Options => _packet.Slice(MinimumLength, HeaderLength - MinimumLength);

    /// <summary>The header bytes, options included.</summary>
    public ReadOnlySpan<byte> Bytes => _packet.Slice(0, HeaderLength);

    /// <summary>The payload: from the end of the header to total length or the end of the span, whichever comes first.</summary>
    public ReadOnlySpan<byte> Payload => _packet.Slice(HeaderLength, _end - HeaderLength);

    /// <summary>
    /// Writes a header with a correct checksum. <paramref name="options"/> must be a multiple of four
    /// bytes, at most 40. Returns the header length. Throws when the destination is too short.
    /// </summary>
    public static int Write(Span<byte> destination, IPv4Address source, IPv4Address destinationAddress, byte protocol, int payloadLength,
        byte timeToLive = 64, byte typeOfService = 0, ushort identification = 0, bool dontFragment = false,
        bool moreFragments = false, int fragmentOffset = 0, ReadOnlySpan<byte> options = default)
    {
        if (options.Length % 4 != 0 || options.Length > MaximumLength - MinimumLength)
            ThrowHelper.ArgumentOutOfRange(nameof(options), "IPv4 options are a multiple of 4 bytes, at most 40.");
        int headerLength = MinimumLength + options.Length;
        if (headerLength + payloadLength > ushort.MaxValue)
            ThrowHelper.ArgumentOutOfRange(nameof(payloadLength), "An IPv4 packet is at most 65535 bytes.");
        if (destination.Length < headerLength) ThrowHelper.DestinationTooShort("an IPv4 header", headerLength, destination.Length);
        destination[0] = (byte)(0x40 | (headerLength / 4));
        destination[1] = typeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), (ushort)(headerLength + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(4), identification);
        int flags = (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | ((fragmentOffset / 8) & 0x1FFF);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(6), (ushort)flags);
        destination[8] = timeToLive;
        destination[9] = protocol;
        destination[10] = 0;
        destination[11] = 0;
        source.Write(destination.Slice(12));
        destinationAddress.Write(destination.Slice(16));
        options.CopyTo(destination.Slice(MinimumLength));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(10), Checksum.Compute(destination.Slice(0, headerLength)));
        return headerLength;
    }
}
