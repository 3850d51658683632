using System.Buffers.Binary;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// Builds and takes apart whole tunnel frames: an inner Ethernet frame carried in VXLAN (RFC 7348), Geneve
/// (RFC 8926) or GRE (RFC 2784/2890) behind outer Ethernet and IP headers. All members are static, allocation-free
/// and thread-safe. Writers throw when the destination is too short; <see cref="TryDecapsulate(ReadOnlySpan{byte}, out TunnelMetadata, out int)"/>
/// never throws and never reads outside the frame.
/// </summary>
/// <remarks>
/// Writers copy the inner frame before writing the outer headers, with overlap-safe copies, so the inner frame may
/// already sit in <c>destination</c> (at offset 0, or at the encapsulation overhead when the buffer has headroom).
/// On a throw the destination's contents are unspecified.
/// </remarks>
public static class TunnelFrames
{
    /// <summary>The outer IPv4 TTL / IPv6 hop limit the writers use.</summary>
    public const byte TimeToLive = 64;
    /// <summary>Bytes VXLAN over IPv4 adds: Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8.</summary>
    public const int VxlanIpv4Overhead = EthernetHeader.Length + Ipv4Header.MinimumLength + UdpHeader.Length + VxlanHeader.Length;
    /// <summary>Bytes VXLAN over IPv6 adds: Ethernet 14 + IPv6 40 + UDP 8 + VXLAN 8.</summary>
    public const int VxlanIpv6Overhead = EthernetHeader.Length + Ipv6Header.Length + UdpHeader.Length + VxlanHeader.Length;
    /// <summary>First port of the dynamic range source ports are drawn from (RFC 7348 §5, RFC 6335).</summary>
    public const ushort MinimumEntropyPort = 49152;

    private const int UdpOffsetIpv4 = EthernetHeader.Length + Ipv4Header.MinimumLength;
    private const int UdpOffsetIpv6 = EthernetHeader.Length + Ipv6Header.Length;

    /// <summary>
    /// The UDP source port for an encapsulated <paramref name="innerFrame"/>: a hash of its Ethernet addresses,
    /// EtherType and VLAN, IP addresses and protocol, and TCP/UDP/SCTP ports, mapped into 49152..65535. RFC 7348 §5
    /// and RFC 8926 §3.3 recommend such a hash so ECMP spreads tunnels by inner flow while every packet of one flow
    /// takes one path. Deterministic across processes; fields that change within a flow (TTL, TCP flags) are left
    /// out. O(header length), allocation-free, never throws: unparsable bytes simply hash fewer fields.
    /// </summary>
    public static ushort EntropySourcePort(ReadOnlySpan<byte> innerFrame)
    {
        ulong hash = 0x243F_6A88_85A3_08D3UL;
        if (!EthernetHeader.TryRead(innerFrame, out var ethernet))
        {
            // Not even an Ethernet header: hash what is there so the port still depends on the frame.
            return ToPort(Mix(hash, Checksum.Sum(innerFrame) ^ (ulong)innerFrame.Length));
        }
        hash = Mix(hash, ethernet.Destination.Value);
        hash = Mix(hash, ethernet.Source.Value);
        hash = Mix(hash, ((ulong)ethernet.EtherType << 16) | (uint)ethernet.VlanId);
        var network = ethernet.Payload;
        if (ethernet.EtherType == EtherType.IPv4 && Ipv4Header.TryRead(network, out var ipv4))
        {
            hash = Mix(hash, ((ulong)ipv4.Source.Value << 32) | ipv4.Destination.Value);
            hash = Mix(hash, ipv4.Protocol);
            // Later fragments carry no ports; hashing none for every fragment keeps them on the first one's path.
            if (!ipv4.IsFragment) hash = MixPorts(hash, ipv4.Protocol, ipv4.Payload);
        }
        else if (ethernet.EtherType == EtherType.IPv6 && Ipv6Header.TryRead(network, out var ipv6))
        {
            hash = Mix(hash, ipv6.Source.Upper);
            hash = Mix(hash, ipv6.Source.Lower);
            hash = Mix(hash, ipv6.Destination.Upper);
            hash = Mix(hash, ipv6.Destination.Lower);
            if (ipv6.TryWalkExtensions(out var walk))
            {
                hash = Mix(hash, walk.UpperLayerProtocol);
                if (!walk.IsFragment)
                    hash = MixPorts(hash, walk.UpperLayerProtocol, ipv6.Payload.Slice(walk.UpperLayerOffset - Ipv6Header.Length));
            }
        }
        return ToPort(hash);
    }

    private static ulong MixPorts(ulong hash, byte protocol, ReadOnlySpan<byte> transport)
    {
        // TCP, UDP and SCTP (132) all start with 16-bit source and destination ports.
        if ((protocol == IpProtocol.Tcp || protocol == IpProtocol.Udp || protocol == 132) && transport.Length >= 4)
            hash = Mix(hash, BinaryPrimitives.ReadUInt32BigEndian(transport));
        return hash;
    }

    private static ulong Mix(ulong hash, ulong value)
    {
        hash = (hash ^ value) * 0x9E37_79B9_7F4A_7C15UL;
        return hash ^ (hash >> 29);
    }

    private static ushort ToPort(ulong hash) => (ushort)(MinimumEntropyPort | (int)((hash ^ (hash >> 32) ^ (hash >> 16)) & 0x3FFF));

    /// <summary>
    /// Writes <paramref name="innerFrame"/> in VXLAN over UDP 4789 over IPv4 over Ethernet: IPv4 with DF set and TTL
    /// 64, a computed UDP checksum (RFC 7348 §5 allows zero, but a non-zero one "MUST be correctly calculated"; a
    /// checksum also protects the inner frame, which has none of its own), source port <paramref name="sourcePort"/>
    /// or, when 0, <see cref="EntropySourcePort"/>. Returns the frame length (inner + 50). Throws
    /// <see cref="ArgumentException"/> when the destination is too short and <see cref="ArgumentOutOfRangeException"/>
    /// when <paramref name="vni"/> exceeds 24 bits or the packet exceeds 65535 bytes. One pass for the checksum.
    /// </summary>
    public static int WriteVxlan(Span<byte> destination, ReadOnlySpan<byte> innerFrame, MacAddress outerSourceMac, MacAddress outerDestinationMac,
        IPv4Address outerSource, IPv4Address outerDestination, uint vni, ushort sourcePort = 0)
    {
        if (vni > VxlanHeader.MaximumVni) ThrowHelper.ArgumentOutOfRange(nameof(vni), "A VXLAN network identifier is 24 bits wide.");
        int udpLength = CheckUdpIpv4(destination, VxlanHeader.Length, innerFrame.Length, "a VXLAN frame");
        ushort port = sourcePort != 0 ? sourcePort : EntropySourcePort(innerFrame);
        innerFrame.CopyTo(destination.Slice(VxlanIpv4Overhead));
        VxlanHeader.Write(destination.Slice(UdpOffsetIpv4 + UdpHeader.Length), vni);
        return FinishUdpIpv4(destination, outerSourceMac, outerDestinationMac, outerSource, outerDestination, port, VxlanHeader.UdpPort, udpLength);
    }

    /// <summary>
    /// Writes <paramref name="innerFrame"/> in VXLAN over UDP 4789 over IPv6 over Ethernet: hop limit 64, a computed
    /// UDP checksum (mandatory over IPv6, RFC 8200 §8.1), source port as in the IPv4 overload. Returns the frame
    /// length (inner + 70). Throws like the IPv4 overload.
    /// </summary>
    public static int WriteVxlan(Span<byte> destination, ReadOnlySpan<byte> innerFrame, MacAddress outerSourceMac, MacAddress outerDestinationMac,
        IPv6Address outerSource, IPv6Address outerDestination, uint vni, ushort sourcePort = 0)
    {
        if (vni > VxlanHeader.MaximumVni) ThrowHelper.ArgumentOutOfRange(nameof(vni), "A VXLAN network identifier is 24 bits wide.");
        int udpLength = UdpHeader.Length + VxlanHeader.Length + innerFrame.Length;
        if (udpLength > ushort.MaxValue) ThrowHelper.ArgumentOutOfRange(nameof(innerFrame), "The UDP datagram would exceed 65535 bytes.");
        int total = UdpOffsetIpv6 + udpLength;
        if (destination.Length < total) ThrowHelper.DestinationTooShort("a VXLAN frame", total, destination.Length);
        ushort port = sourcePort != 0 ? sourcePort : EntropySourcePort(innerFrame);
        innerFrame.CopyTo(destination.Slice(VxlanIpv6Overhead));
        VxlanHeader.Write(destination.Slice(UdpOffsetIpv6 + UdpHeader.Length), vni);
        EthernetHeader.Write(destination, outerDestinationMac, outerSourceMac, EtherType.IPv6);
        Ipv6Header.Write(destination.Slice(EthernetHeader.Length), outerSource, outerDestination, IpProtocol.Udp, udpLength, hopLimit: TimeToLive);
        var datagram = destination.Slice(UdpOffsetIpv6, udpLength);
        UdpHeader.Write(datagram, port, VxlanHeader.UdpPort, udpLength - UdpHeader.Length);
        UdpHeader.SetChecksum(datagram, Checksum.PseudoHeaderSum(outerSource, outerDestination, IpProtocol.Udp, udpLength));
        return total;
    }

    /// <summary>
    /// Writes <paramref name="innerFrame"/> in Geneve (protocol type 0x6558) with <paramref name="encodedOptions"/>
    /// (TLVs built with <see cref="GeneveHeader.WriteOption"/>) over UDP 6081 over IPv4 over Ethernet; outer
    /// headers as in <see cref="WriteVxlan(Span{byte}, ReadOnlySpan{byte}, MacAddress, MacAddress, IPv4Address, IPv4Address, uint, ushort)"/>.
    /// Returns the frame length (inner + 50 + options). Throws like it, and when the options are malformed.
    /// </summary>
    public static int WriteGeneve(Span<byte> destination, ReadOnlySpan<byte> innerFrame, MacAddress outerSourceMac, MacAddress outerDestinationMac,
        IPv4Address outerSource, IPv4Address outerDestination, uint vni, ReadOnlySpan<byte> encodedOptions, ushort sourcePort = 0)
    {
        if (vni > GeneveHeader.MaximumVni) ThrowHelper.ArgumentOutOfRange(nameof(vni), "A Geneve virtual network identifier is 24 bits wide.");
        if (encodedOptions.Length % 4 != 0 || encodedOptions.Length > GeneveHeader.MaximumOptionsLength)
            ThrowHelper.ArgumentOutOfRange(nameof(encodedOptions), "Geneve options fill a multiple of 4 bytes, at most 252.");
        int geneveLength = GeneveHeader.Length + encodedOptions.Length;
        int udpLength = CheckUdpIpv4(destination, geneveLength, innerFrame.Length, "a Geneve frame");
        ushort port = sourcePort != 0 ? sourcePort : EntropySourcePort(innerFrame);
        innerFrame.CopyTo(destination.Slice(UdpOffsetIpv4 + UdpHeader.Length + geneveLength));
        GeneveHeader.Write(destination.Slice(UdpOffsetIpv4 + UdpHeader.Length), vni, encodedOptions);
        return FinishUdpIpv4(destination, outerSourceMac, outerDestinationMac, outerSource, outerDestination, port, GeneveHeader.UdpPort, udpLength);
    }

    /// <summary>
    /// Writes <paramref name="innerFrame"/> in GRE (protocol type 0x6558, transparent Ethernet bridging) over IPv4
    /// (protocol 47, DF set, TTL 64) over Ethernet, with the key and sequence number when given and, when
    /// <paramref name="checksum"/> is true, a GRE checksum over GRE header and payload (RFC 2784 §2.5). Returns the
    /// frame length (inner + 38 + 4 per optional field). Throws <see cref="ArgumentException"/> when the destination
    /// is too short and <see cref="ArgumentOutOfRangeException"/> when the packet would exceed 65535 bytes.
    /// </summary>
    public static int WriteGre(Span<byte> destination, ReadOnlySpan<byte> innerFrame, MacAddress outerSourceMac, MacAddress outerDestinationMac,
        IPv4Address outerSource, IPv4Address outerDestination, uint? key = null, uint? sequence = null, bool checksum = false)
    {
        int greLength = GreHeader.GetHeaderLength(checksum, key.HasValue, sequence.HasValue);
        int ipPayloadLength = greLength + innerFrame.Length;
        if (Ipv4Header.MinimumLength + ipPayloadLength > ushort.MaxValue)
            ThrowHelper.ArgumentOutOfRange(nameof(innerFrame), "The IPv4 packet would exceed 65535 bytes.");
        int total = UdpOffsetIpv4 + ipPayloadLength;
        if (destination.Length < total) ThrowHelper.DestinationTooShort("a GRE frame", total, destination.Length);
        innerFrame.CopyTo(destination.Slice(UdpOffsetIpv4 + greLength));
        var gre = destination.Slice(UdpOffsetIpv4, ipPayloadLength);
        GreHeader.Write(gre, EtherType.TransparentEthernetBridging, key, sequence, checksum);
        if (checksum) GreHeader.SetChecksum(gre);
        EthernetHeader.Write(destination, outerDestinationMac, outerSourceMac, EtherType.IPv4);
        Ipv4Header.Write(destination.Slice(EthernetHeader.Length), outerSource, outerDestination, IpProtocol.Gre, ipPayloadLength,
            timeToLive: TimeToLive, dontFragment: true);
        return total;
    }

    /// <summary>
    /// Recognises a VXLAN, Geneve or GRE frame NetFabric decapsulates and finds its inner Ethernet frame; see the
    /// overload with <see cref="TunnelKind"/> for the rules. The inner frame is
    /// <c>outerFrame.Slice(innerOffset)</c> up to the end of the outer IP packet (use the other overload for its
    /// length, which excludes outer Ethernet padding). Never throws; O(headers) plus a walk of Geneve options.
    /// </summary>
    public static bool TryDecapsulate(ReadOnlySpan<byte> outerFrame, out TunnelMetadata tunnel, out int innerOffset) =>
        TryDecapsulate(outerFrame, out _, out tunnel, out innerOffset, out _);

    /// <summary>
    /// Recognises a tunnel frame and returns the inner Ethernet frame's place in <paramref name="outerFrame"/>
    /// (<c>outerFrame.Slice(innerOffset, innerLength)</c>) and the tunnel metadata: <see cref="TunnelMetadata.Id"/>
    /// is the VNI or the GRE key (0 without one), Source/Destination the outer IPv4 addresses. Never throws, never
    /// reads outside the span, allocation-free.
    /// </summary>
    /// <remarks>
    /// <para>Accepted: outer Ethernet (VLAN tags allowed) carrying IPv4 or IPv6, not fragmented and not truncated; then
    /// UDP to port 4789 with a VXLAN header whose I flag is set; UDP to port 6081 with a version-0 Geneve header of
    /// protocol type 0x6558 that is not a control message (O bit, RFC 8926 §3.4) and has no critical options; or
    /// GRE version 0 of protocol type 0x6558. The inner frame must hold at least an Ethernet header.</para>
    /// <para>Geneve: RFC 8926 §3.5 requires dropping a packet with a critical option the receiver does not
    /// understand. NetFabric understands no critical options yet, so any critical option (or a set C bit, or a
    /// malformed option list) refuses the frame; non-critical options are skipped.</para>
    /// <para>IPv6 outer headers: <see cref="TunnelMetadata"/> only holds IPv4 endpoints, so Source and Destination
    /// are left zero and only the Id identifies the tunnel.</para>
    /// <para>Checksums (outer IPv4 header, UDP, GRE) are not verified: that costs a pass over the frame and NICs
    /// usually have done it; callers that need it use <see cref="Ipv4Header.IsChecksumValid"/> and
    /// <see cref="GreHeader.IsChecksumValid"/>.</para>
    /// </remarks>
    public static bool TryDecapsulate(ReadOnlySpan<byte> outerFrame, out TunnelKind kind, out TunnelMetadata tunnel, out int innerOffset, out int innerLength)
    {
        kind = TunnelKind.None;
        tunnel = default;
        innerOffset = 0;
        innerLength = 0;
        if (!EthernetHeader.TryRead(outerFrame, out var ethernet)) return false;

        int offset = ethernet.HeaderLength;
        byte protocol;
        ReadOnlySpan<byte> ipPayload;
        IPv4Address source = default, destination = default;
        switch (ethernet.EtherType)
        {
            case EtherType.IPv4:
                // A fragment holds only part of the inner frame; reassembly is not this method's job.
                if (!Ipv4Header.TryRead(ethernet.Payload, out var ipv4) || ipv4.IsTruncated || ipv4.IsFragment) return false;
                protocol = ipv4.Protocol;
                ipPayload = ipv4.Payload;
                offset += ipv4.HeaderLength;
                source = ipv4.Source;
                destination = ipv4.Destination;
                break;
            case EtherType.IPv6:
                if (!Ipv6Header.TryRead(ethernet.Payload, out var ipv6) || ipv6.IsTruncated
                    || !ipv6.TryWalkExtensions(out var walk) || walk.IsFragment)
                    return false;
                protocol = walk.UpperLayerProtocol;
                ipPayload = ipv6.Payload.Slice(walk.UpperLayerOffset - Ipv6Header.Length);
                offset += walk.UpperLayerOffset;
                break;
            default:
                return false;
        }

        ReadOnlySpan<byte> inner;
        ulong id;
        TunnelKind found;
        if (protocol == IpProtocol.Udp)
        {
            if (!UdpHeader.TryRead(ipPayload, out var udp) || udp.IsTruncated) return false;
            offset += UdpHeader.Length;
            switch (udp.DestinationPort)
            {
                case VxlanHeader.UdpPort:
                    if (!VxlanHeader.TryRead(udp.Payload, out var vxlan)) return false;
                    found = TunnelKind.Vxlan;
                    id = vxlan.Vni;
                    offset += VxlanHeader.Length;
                    inner = vxlan.Payload;
                    break;
                case GeneveHeader.UdpPort:
                    if (!GeneveHeader.TryRead(udp.Payload, out var geneve)
                        || geneve.ProtocolType != EtherType.TransparentEthernetBridging
                        || geneve.IsControl || geneve.HasCriticalOptions)
                        return false;
                    found = TunnelKind.Geneve;
                    id = geneve.Vni;
                    offset += geneve.HeaderLength;
                    inner = geneve.Payload;
                    break;
                default:
                    return false;
            }
        }
        else if (protocol == IpProtocol.Gre)
        {
            if (!GreHeader.TryRead(ipPayload, out var gre) || gre.ProtocolType != EtherType.TransparentEthernetBridging) return false;
            found = TunnelKind.Gre;
            id = gre.Key;
            offset += gre.HeaderLength;
            inner = gre.Payload;
        }
        else
        {
            return false;
        }

        if (inner.Length < EthernetHeader.Length) return false;
        kind = found;
        tunnel = new TunnelMetadata(id, source, destination);
        innerOffset = offset;
        innerLength = inner.Length;
        return true;
    }

    private static int CheckUdpIpv4(Span<byte> destination, int tunnelHeaderLength, int innerLength, string what)
    {
        int udpLength = UdpHeader.Length + tunnelHeaderLength + innerLength;
        if (Ipv4Header.MinimumLength + udpLength > ushort.MaxValue)
            ThrowHelper.ArgumentOutOfRange("innerFrame", "The IPv4 packet would exceed 65535 bytes.");
        int total = UdpOffsetIpv4 + udpLength;
        if (destination.Length < total) ThrowHelper.DestinationTooShort(what, total, destination.Length);
        return udpLength;
    }

    // Writes the outer Ethernet, IPv4 and UDP headers in front of a tunnel header and inner frame already in place,
    // then the UDP checksum over all of it.
    private static int FinishUdpIpv4(Span<byte> destination, MacAddress sourceMac, MacAddress destinationMac,
        IPv4Address source, IPv4Address destinationAddress, ushort sourcePort, ushort destinationPort, int udpLength)
    {
        EthernetHeader.Write(destination, destinationMac, sourceMac, EtherType.IPv4);
        // DF: RFC 7348 §4.3 forbids VTEPs to fragment VXLAN packets, and DF stops routers on the path doing it
        // silently, so an undersized underlay MTU shows up as ICMP instead of as reassembly load at the far end.
        Ipv4Header.Write(destination.Slice(EthernetHeader.Length), source, destinationAddress, IpProtocol.Udp, udpLength,
            timeToLive: TimeToLive, dontFragment: true);
        var datagram = destination.Slice(UdpOffsetIpv4, udpLength);
        UdpHeader.Write(datagram, sourcePort, destinationPort, udpLength - UdpHeader.Length);
        UdpHeader.SetChecksum(datagram, Checksum.PseudoHeaderSum(source, destinationAddress, IpProtocol.Udp, udpLength));
        return UdpOffsetIpv4 + udpLength;
    }
}
