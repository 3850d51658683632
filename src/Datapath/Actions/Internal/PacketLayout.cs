using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Actions.Internal;

/// What a transport-layer rewrite finds behind the IP header.
internal enum TransportKind : byte
{
    /// No TCP/UDP/ICMPv6 header to touch: another protocol, or a later fragment (its L4 header is in the first one).
    None,
    Tcp,
    Udp,
    IcmpV6,
    /// The protocol announces TCP, UDP or ICMPv6 (or the IPv6 extension chain is broken) but the header cannot be
    /// read: rewriting an address would leave a checksum that cannot be fixed, so such packets are malformed.
    Unreadable,
}

/// Where the headers of the frame being rewritten are, located once per program execution on the first step that
/// needs them and reused by the following steps; steps that move headers (VLAN push/pop, encapsulation,
/// decapsulation) reset it so the next step locates them again. Two levels, so a routing program (MACs, TTL) never
/// pays for the transport layer: <see cref="Locate"/> finds the IP header, <see cref="LocateTransport"/> what follows.
/// The checks mirror the <c>Protocols</c> views' <c>TryRead</c> (and <see cref="Flows.FlowKey"/> extraction), so every
/// offset recorded here is inside the frame.
internal struct PacketLayout
{
    public bool IsLocated;
    public bool IsTransportLocated;
    /// 4, 6, or 0 when the frame carries no readable IP header.
    public byte IpVersion;
    /// Offset of the IP header (after up to two VLAN tags).
    public int Network;
    /// Offset of the transport header; meaningful for <see cref="TransportKind.Tcp"/>, <see cref="TransportKind.Udp"/> and <see cref="TransportKind.IcmpV6"/>.
    public int Transport;
    public TransportKind TransportKind;
    // End of the IP packet inside the frame (total/payload length or the frame's end, whichever comes first).
    private int _end;

    /// Where the IP packet ends inside the frame (its total or payload length, or the frame's end, whichever comes first).
    public readonly int End => _end;

    /// Where the transport checksum field is in the frame — TCP, UDP, or ICMPv6 over IPv6 — or -1 when there is
    /// none to touch (another protocol, a later fragment, an unreadable header). Valid after <see cref="LocateTransport"/>.
    public readonly int TransportChecksumOffset => TransportKind switch
    {
        TransportKind.Tcp => Transport + 16,
        TransportKind.Udp => Transport + 6,
        TransportKind.IcmpV6 when IpVersion == 6 => Transport + 2,
        _ => -1,
    };
    // IPv4: the header length, or 0 for a later fragment (no transport header).
    private int _ipv4HeaderLength;

    /// Finds the IP header. The common case, untagged IPv4 with a 20-byte header, is decided inline; anything else
    /// takes the full walk (<see cref="LocateAny"/>), which reaches the same result for that case.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Locate(ReadOnlySpan<byte> frame)
    {
        const int ip = EthernetHeader.Length;
        int totalLength;
        if (frame.Length >= ip + Ipv4Header.MinimumLength
            && BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12)) == EtherType.IPv4 && frame[ip] == 0x45
            && (totalLength = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(ip + 2))) >= Ipv4Header.MinimumLength)
        {
            IsLocated = true;
            IsTransportLocated = false;
            IpVersion = 4;
            Network = ip;
            Transport = 0;
            TransportKind = TransportKind.None;
            _end = Math.Min(ip + totalLength, frame.Length);
            _ipv4HeaderLength = (BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(ip + 6)) & 0x1FFF) != 0 ? 0 : Ipv4Header.MinimumLength;
            return;
        }
        LocateAny(frame);
    }

    /// The full walk: up to two VLAN tags, then an IPv4 header of any length or an IPv6 header.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void LocateAny(ReadOnlySpan<byte> frame)
    {
        this = default;
        IsLocated = true;
        int length = frame.Length;
        if (length < EthernetHeader.Length) return;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12));
        int offset = EthernetHeader.Length;
        // Up to two tags, as EthernetHeader.TryRead: a third one leaves 0x8100 as the EtherType (not IP).
        for (int tags = 0; tags < 2 && type is EtherType.Vlan or EtherType.QinQ; tags++)
        {
            if (length - offset < EthernetHeader.VlanTagLength) return;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 2));
            offset += EthernetHeader.VlanTagLength;
        }
        if (type == EtherType.IPv4)
        {
            if (length - offset < Ipv4Header.MinimumLength) return;
            int versionIhl = frame[offset];
            int headerLength = (versionIhl & 0x0F) * 4;
            int totalLength = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 2));
            if ((versionIhl >> 4) != 4 || headerLength < Ipv4Header.MinimumLength || headerLength > length - offset || totalLength < headerLength) return;
            IpVersion = 4;
            Network = offset;
            _end = Math.Min(offset + totalLength, length);
            // A later fragment (offset > 0) carries no transport header: only the IP header is rewritten.
            _ipv4HeaderLength = (BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 6)) & 0x1FFF) != 0 ? 0 : headerLength;
        }
        else if (type == EtherType.IPv6)
        {
            if (length - offset < Ipv6Header.Length || (frame[offset] >> 4) != 6) return;
            IpVersion = 6;
            Network = offset;
            _end = Math.Min(offset + Ipv6Header.Length + BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 4)), length);
        }
    }

    /// Finds the transport header behind the IP header <see cref="Locate"/> found (call only when <see cref="IpVersion"/> is 4 or 6).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void LocateTransport(ReadOnlySpan<byte> frame)
    {
        IsTransportLocated = true;
        TransportKind = TransportKind.None;
        int offset = Network;
        if (IpVersion == 4)
        {
            if (_ipv4HeaderLength != 0) Classify(frame, frame[offset + 9], offset + _ipv4HeaderLength);
            return;
        }
        byte next = frame[offset + 6];
        if (next is IpProtocol.Tcp or IpProtocol.Udp or IpProtocol.IcmpV6)
        {
            // The common case: no extension headers to walk.
            Classify(frame, next, offset + Ipv6Header.Length);
            return;
        }
        Ipv6Header.TryRead(frame.Slice(offset), out var ip);
        if (!ip.TryWalkExtensions(out var walk))
        {
            TransportKind = TransportKind.Unreadable;
            return;
        }
        if (walk.IsFragment && walk.FragmentOffset != 0) return;
        Classify(frame, walk.UpperLayerProtocol, offset + walk.UpperLayerOffset);
    }

    private void Classify(ReadOnlySpan<byte> frame, byte protocol, int offset)
    {
        int available = _end - offset;
        Transport = offset;
        switch (protocol)
        {
            case IpProtocol.Tcp:
                int dataOffset = available >= TcpHeader.MinimumLength ? (frame[offset + 12] >> 4) * 4 : 0;
                TransportKind = dataOffset >= TcpHeader.MinimumLength && dataOffset <= available ? TransportKind.Tcp : TransportKind.Unreadable;
                break;
            case IpProtocol.Udp:
                TransportKind = available >= UdpHeader.Length && BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 4)) >= UdpHeader.Length
                    ? TransportKind.Udp : TransportKind.Unreadable;
                break;
            case IpProtocol.IcmpV6 when IpVersion == 6:
                TransportKind = available >= IcmpV6Header.Length ? TransportKind.IcmpV6 : TransportKind.Unreadable;
                break;
        }
    }
}
