using System.Globalization;
using System.Text;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Samples.VSwitchHost.Inspect;

/// <summary>
/// One-line, tcpdump <c>-e -n</c>-style descriptions of Ethernet frames, recursing into the inner frame
/// of VXLAN, Geneve and GRE tunnels. For display only: allocates freely.
/// </summary>
public static class FrameSummary
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Describes <paramref name="frame"/>; false when some layer the headers announce could not be parsed
    /// (the text then ends with <c>[malformed …]</c>).
    /// </summary>
    public static bool TryDescribe(ReadOnlySpan<byte> frame, int originalLength, out string line)
    {
        var text = new StringBuilder();
        bool ok = DescribeEthernet(frame, originalLength, text, depth: 0);
        line = text.ToString();
        return ok;
    }

    private static bool DescribeEthernet(ReadOnlySpan<byte> frame, int length, StringBuilder text, int depth)
    {
        if (!EthernetHeader.TryRead(frame, out var ethernet))
            return Malformed(text, $"Ethernet header, {frame.Length} bytes");
        text.Append(Invariant, $"{ethernet.Source} > {ethernet.Destination}, ");
        if (ethernet.TagCount == 2)
            text.Append(Invariant, $"ethertype 802.1Q-QinQ (0x88a8), length {length}: vlan {ethernet.OuterVlanTci & 0xFFF}, p {ethernet.OuterVlanTci >> 13}, ");
        if (ethernet.TagCount >= 1)
            text.Append(Invariant, $"{(ethernet.TagCount == 1 ? $"ethertype 802.1Q (0x8100), length {length}: " : "")}vlan {ethernet.VlanId}, p {ethernet.VlanTci >> 13}, ");
        text.Append(Invariant, $"ethertype {EtherTypeName(ethernet.EtherType)} (0x{ethernet.EtherType:x4})");
        if (ethernet.TagCount == 0) text.Append(Invariant, $", length {length}");
        text.Append(": ");
        var payload = ethernet.Payload;
        return ethernet.EtherType switch
        {
            EtherType.IPv4 => DescribeIpv4(frame, payload, text, depth),
            EtherType.IPv6 => DescribeIpv6(frame, payload, text, depth),
            EtherType.Arp => DescribeArp(payload, text),
            _ => Done(text, $"{payload.Length} bytes"),
        };
    }

    private static bool DescribeArp(ReadOnlySpan<byte> payload, StringBuilder text)
    {
        if (!ArpPacket.TryRead(payload, out var arp)) return Malformed(text, "ARP");
        return arp.Operation switch
        {
            ArpPacket.OperationRequest => Done(text, $"Request who-has {arp.TargetProtocolAddress} tell {arp.SenderProtocolAddress}, length {ArpPacket.Length}"),
            ArpPacket.OperationReply => Done(text, $"Reply {arp.SenderProtocolAddress} is-at {arp.SenderHardwareAddress}, length {ArpPacket.Length}"),
            _ => Done(text, $"ARP operation {arp.Operation}, length {ArpPacket.Length}"),
        };
    }

    private static bool DescribeIpv4(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> packet, StringBuilder text, int depth)
    {
        if (!Ipv4Header.TryRead(packet, out var ip)) return Malformed(text, "IPv4 header");
        string source = ip.Source.ToString(), destination = ip.Destination.ToString();
        string ttl = $"ttl {ip.TimeToLive}, ";
        if (ip.FragmentOffset != 0)
            return Done(text, $"{source} > {destination}: {ttl}fragment offset {ip.FragmentOffset}, proto {ip.Protocol}, length {ip.Payload.Length}");
        if (ip.IsFragment) text.Append("first fragment, ");
        bool ok = DescribeTransport(frame, ip.Protocol, ip.Payload, source, destination, text, depth, ttl);
        if (!ip.IsChecksumValid) text.Append(" [bad IPv4 checksum]");
        return ok;
    }

    private static bool DescribeIpv6(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> packet, StringBuilder text, int depth)
    {
        if (!Ipv6Header.TryRead(packet, out var ip)) return Malformed(text, "IPv6 header");
        string source = ip.Source.ToString(), destination = ip.Destination.ToString();
        if (!ip.TryWalkExtensions(out var walk)) return Malformed(text, $"IPv6 extension header {walk.UpperLayerProtocol}");
        string hop = $"hlim {ip.HopLimit}, ";
        if (walk.IsFragment && walk.FragmentOffset != 0)
            return Done(text, $"{source} > {destination}: {hop}fragment offset {walk.FragmentOffset}, next-header {walk.UpperLayerProtocol}");
        int end = Ipv6Header.Length + ip.Payload.Length;
        return DescribeTransport(frame, walk.UpperLayerProtocol, packet.Slice(walk.UpperLayerOffset, end - walk.UpperLayerOffset), source, destination, text, depth, hop);
    }

    private static bool DescribeTransport(ReadOnlySpan<byte> frame, byte protocol, ReadOnlySpan<byte> segment, string source, string destination,
        StringBuilder text, int depth, string ttl)
    {
        switch (protocol)
        {
            case IpProtocol.Udp:
            {
                if (!UdpHeader.TryRead(segment, out var udp)) return Malformed(text, $"{source} > {destination}: UDP header");
                text.Append(Invariant, $"{source}.{udp.SourcePort} > {destination}.{udp.DestinationPort}: {ttl}");
                if (depth == 0 && TunnelFrames.TryDecapsulate(frame, out var kind, out var tunnel, out int innerOffset, out int innerLength))
                {
                    text.Append(Invariant, $"{kind.ToString().ToUpperInvariant()}, vni {tunnel.Id}: ");
                    return DescribeEthernet(frame.Slice(innerOffset, innerLength), innerLength, text, depth + 1);
                }
                if ((udp.SourcePort is DhcpMessage.ServerPort or DhcpMessage.ClientPort || udp.DestinationPort is DhcpMessage.ServerPort or DhcpMessage.ClientPort)
                    && DhcpMessage.TryRead(udp.Payload, out var dhcp))
                    return Done(text, $"BOOTP/DHCP, {(dhcp.Operation == DhcpMessage.BootRequest ? "Request" : "Reply")} DHCP-{dhcp.MessageType}, xid 0x{dhcp.TransactionId:x8}, chaddr {dhcp.ClientMac}, length {udp.Payload.Length}");
                return Done(text, $"UDP, length {udp.Payload.Length}");
            }
            case IpProtocol.Tcp:
            {
                if (!TcpHeader.TryRead(segment, out var tcp)) return Malformed(text, $"{source} > {destination}: TCP header");
                return Done(text, $"{source}.{tcp.SourcePort} > {destination}.{tcp.DestinationPort}: {ttl}Flags [{TcpFlagLetters(tcp.Flags)}], seq {tcp.SequenceNumber}, ack {tcp.AcknowledgmentNumber}, win {tcp.Window}, length {tcp.Payload.Length}");
            }
            case IpProtocol.Icmp:
            {
                if (!IcmpV4Header.TryRead(segment, out var icmp)) return Malformed(text, $"{source} > {destination}: ICMP header");
                string what = icmp.Type switch
                {
                    IcmpV4Header.TypeEchoRequest => $"echo request, id {icmp.Identifier}, seq {icmp.SequenceNumber}",
                    IcmpV4Header.TypeEchoReply => $"echo reply, id {icmp.Identifier}, seq {icmp.SequenceNumber}",
                    IcmpV4Header.TypeTimeExceeded => "time exceeded in-transit",
                    IcmpV4Header.TypeDestinationUnreachable => $"destination unreachable, code {icmp.Code}",
                    _ => $"type {icmp.Type}, code {icmp.Code}",
                };
                return Done(text, $"{source} > {destination}: {ttl}ICMP {what}, length {segment.Length}");
            }
            case IpProtocol.IcmpV6:
            {
                if (!IcmpV6Header.TryRead(segment, out var icmp)) return Malformed(text, $"{source} > {destination}: ICMPv6 header");
                string what = icmp.Type switch
                {
                    IcmpV6Header.TypeEchoRequest => $"echo request, id {icmp.Identifier}, seq {icmp.SequenceNumber}",
                    IcmpV6Header.TypeEchoReply => $"echo reply, id {icmp.Identifier}, seq {icmp.SequenceNumber}",
                    IcmpV6Header.TypeNeighborSolicitation => $"neighbor solicitation, who has {icmp.TargetAddress}",
                    IcmpV6Header.TypeNeighborAdvertisement => $"neighbor advertisement, tgt is {icmp.TargetAddress}",
                    IcmpV6Header.TypeTimeExceeded => "time exceeded in-transit",
                    IcmpV6Header.TypeDestinationUnreachable => $"destination unreachable, code {icmp.Code}",
                    IcmpV6Header.TypePacketTooBig => $"packet too big, mtu {icmp.RestOfHeader}",
                    _ => $"type {icmp.Type}, code {icmp.Code}",
                };
                return Done(text, $"{source} > {destination}: {ttl}ICMP6, {what}, length {segment.Length}");
            }
            case IpProtocol.Gre when depth == 0 && TunnelFrames.TryDecapsulate(frame, out var kind, out var tunnel, out int innerOffset, out int innerLength):
                text.Append(Invariant, $"{source} > {destination}: {ttl}GRE, key 0x{tunnel.Id:x}: ");
                return DescribeEthernet(frame.Slice(innerOffset, innerLength), innerLength, text, depth + 1);
            default:
                return Done(text, $"{source} > {destination}: {ttl}ip-proto-{protocol}, length {segment.Length}");
        }
    }

    private static string TcpFlagLetters(TcpFlags flags)
    {
        var letters = new StringBuilder();
        if (flags.HasFlag(TcpFlags.Syn)) letters.Append('S');
        if (flags.HasFlag(TcpFlags.Fin)) letters.Append('F');
        if (flags.HasFlag(TcpFlags.Rst)) letters.Append('R');
        if (flags.HasFlag(TcpFlags.Psh)) letters.Append('P');
        if (flags.HasFlag(TcpFlags.Urg)) letters.Append('U');
        if (flags.HasFlag(TcpFlags.Ece)) letters.Append('E');
        if (flags.HasFlag(TcpFlags.Cwr)) letters.Append('W');
        if (flags.HasFlag(TcpFlags.Ack)) letters.Append('.');
        return letters.Length == 0 ? "none" : letters.ToString();
    }

    private static string EtherTypeName(ushort type) => type switch
    {
        EtherType.IPv4 => "IPv4",
        EtherType.IPv6 => "IPv6",
        EtherType.Arp => "ARP",
        EtherType.Vlan => "802.1Q",
        EtherType.QinQ => "802.1Q-QinQ",
        < EtherType.MinimumEtherType => "802.3 length",
        _ => "Unknown",
    };

    private static bool Done(StringBuilder text, string tail)
    {
        text.Append(tail);
        return true;
    }

    private static bool Malformed(StringBuilder text, string what)
    {
        text.Append("[malformed ").Append(what).Append(']');
        return false;
    }
}
