using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over an IPv6 fixed header (RFC 8200) and its chain of extension headers.
/// <see cref="TryRead"/> validates the fixed header; <see cref="TryWalkExtensions"/> walks
/// hop-by-hop, routing, fragment, destination-options and AH headers to the upper layer, staying
/// inside the span. Never throws.
/// </summary>
public readonly ref struct Ipv6Header
{
    /// <summary>Length of the fixed header.</summary>
    public const int Length = 40;
    /// <summary>Most extension headers the walk follows before giving up (a defence against crafted chains).</summary>
    public const int MaximumExtensionHeaders = 8;

    private readonly ReadOnlySpan<byte> _packet;
    private readonly int _end;

    private Ipv6Header(ReadOnlySpan<byte> packet, int end)
    {
        _packet = packet;
        _end = end;
    }

    /// <summary>
    /// Reads the fixed header. False when the span is shorter than 40 bytes or the version is not 6.
    /// A payload length beyond the span is accepted (<see cref="IsTruncated"/>); bytes beyond it are not payload.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> packet, out Ipv6Header header)
    {
        header = default;
        if (packet.Length < Length || (packet[0] >> 4) != 6) return false;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(4));
        header = new Ipv6Header(packet, Math.Min(Length + payloadLength, packet.Length));
        return true;
    }

    /// <summary>Traffic class (DSCP and ECN).</summary>
    public byte TrafficClass => (byte)(BinaryPrimitives.ReadUInt16BigEndian(_packet) >> 4);

    /// <summary>The 20-bit flow label.</summary>
    public uint FlowLabel => BinaryPrimitives.ReadUInt32BigEndian(_packet) & 0x000F_FFFF;

    /// <summary>Payload length field (extension headers + upper layer) as sent.</summary>
    public int PayloadLength => BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(4));

    /// <summary>True when the span ends before the announced payload does.</summary>
    public bool IsTruncated => _end < Length + PayloadLength;

    /// <summary>The next-header field of the fixed header.</summary>
    public byte NextHeader => _packet[6];

    /// <summary>Hop limit.</summary>
    public byte HopLimit => _packet[7];

    /// <summary>Source address.</summary>
    public IPv6Address Source => IPv6Address.Read(_packet.Slice(8));

    /// <summary>Destination address.</summary>
    public IPv6Address Destination => IPv6Address.Read(_packet.Slice(24));

    /// <summary>Everything after the fixed header up to the payload length or the end of the span.</summary>
    public ReadOnlySpan<byte> Payload => _packet.Slice(Length, _end - Length);

    /// <summary>
    /// Walks the extension headers from the fixed header to the upper-layer protocol. Returns false when an
    /// extension header runs past the span or the chain is longer than <see cref="MaximumExtensionHeaders"/>;
    /// <paramref name="walk"/> then holds how far the walk got. ESP and "no next header" end the walk (true).
    /// </summary>
    public bool TryWalkExtensions(out Ipv6ExtensionWalk walk)
    {
        byte next = _packet[6];
        int offset = Length;
        bool fragment = false, moreFragments = false;
        int fragmentOffset = 0;
        uint identification = 0;
        for (int count = 0; ; count++)
        {
            int headerLength;
            switch (next)
            {
                case IpProtocol.HopByHop:
                case IpProtocol.Routing:
                case IpProtocol.DestinationOptions:
                    if (_end - offset < 8) goto Incomplete;
                    headerLength = (_packet[offset + 1] + 1) * 8;
                    break;
                case IpProtocol.AuthenticationHeader:
                    // RFC 4302 §2.2: AH counts 4-byte words minus 2, unlike the other extension headers.
                    if (_end - offset < 8) goto Incomplete;
                    headerLength = (_packet[offset + 1] + 2) * 4;
                    break;
                case IpProtocol.Fragment:
                    if (_end - offset < 8) goto Incomplete;
                    ushort field = BinaryPrimitives.ReadUInt16BigEndian(_packet.Slice(offset + 2));
                    fragment = true;
                    fragmentOffset = field & 0xFFF8;
                    moreFragments = (field & 1) != 0;
                    identification = BinaryPrimitives.ReadUInt32BigEndian(_packet.Slice(offset + 4));
                    headerLength = 8;
                    break;
                default:
                    walk = new Ipv6ExtensionWalk(next, offset, fragment, fragmentOffset, moreFragments, identification, true);
                    return true;
            }
            if (headerLength > _end - offset || count >= MaximumExtensionHeaders) goto Incomplete;
            next = _packet[offset];
            offset += headerLength;
            // A non-first fragment's upper-layer header is not in this packet: stop at the fragment header.
            if (fragment && fragmentOffset != 0)
            {
                walk = new Ipv6ExtensionWalk(next, offset, fragment, fragmentOffset, moreFragments, identification, true);
                return true;
            }
        }
    Incomplete:
        walk = new Ipv6ExtensionWalk(next, offset, fragment, fragmentOffset, moreFragments, identification, false);
        return false;
    }

    /// <summary>
    /// Writes the fixed header. <paramref name="payloadLength"/> counts extension headers and upper layer.
    /// Returns 40. Throws when the destination is too short.
    /// </summary>
    public static int Write(Span<byte> destination, IPv6Address source, IPv6Address destinationAddress, byte nextHeader, int payloadLength,
        byte hopLimit = 64, byte trafficClass = 0, uint flowLabel = 0)
    {
        if (destination.Length < Length) ThrowHelper.DestinationTooShort("an IPv6 header", Length, destination.Length);
        if ((uint)payloadLength > ushort.MaxValue) ThrowHelper.ArgumentOutOfRange(nameof(payloadLength), "An IPv6 payload is at most 65535 bytes without jumbograms.");
        BinaryPrimitives.WriteUInt32BigEndian(destination, 0x6000_0000u | ((uint)trafficClass << 20) | (flowLabel & 0x000F_FFFF));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(4), (ushort)payloadLength);
        destination[6] = nextHeader;
        destination[7] = hopLimit;
        source.Write(destination.Slice(8));
        destinationAddress.Write(destination.Slice(24));
        return Length;
    }
}

/// <summary>Where an IPv6 extension-header walk ended (see <see cref="Ipv6Header.TryWalkExtensions"/>).</summary>
/// <param name="UpperLayerProtocol">The protocol of the upper layer, or the header type where an incomplete walk stopped.</param>
/// <param name="UpperLayerOffset">Offset of that header from the start of the IPv6 header.</param>
/// <param name="IsFragment">True when a fragment header was seen.</param>
/// <param name="FragmentOffset">Fragment offset in bytes.</param>
/// <param name="MoreFragments">The M flag of the fragment header.</param>
/// <param name="Identification">The fragment header's identification.</param>
/// <param name="Complete">False when the walk stopped at a truncated or over-long chain.</param>
public readonly record struct Ipv6ExtensionWalk(byte UpperLayerProtocol, int UpperLayerOffset, bool IsFragment, int FragmentOffset, bool MoreFragments, uint Identification, bool Complete);
