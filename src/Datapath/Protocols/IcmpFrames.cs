using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// Builds ICMP answers to received frames: echo replies (ICMPv4 and ICMPv6) and error messages
/// that quote the offending packet as RFC 792, RFC 1812 §4.3.2.3 and RFC 4443 §2.4 require. Replies go
/// back to the sender's MAC with the received VLAN tag. Allocation-free; the <c>Try</c> methods return
/// false, never throw, when the received frame must not be answered.
/// </summary>
public static class IcmpFrames
{
    /// <summary>RFC 1812 §4.3.2.3: an ICMPv4 error datagram is at most 576 bytes.</summary>
    public const int MaximumIpv4ErrorDatagram = 576;
    /// <summary>RFC 4443 §2.4(c): an ICMPv6 error packet must not exceed the minimum IPv6 MTU.</summary>
    public const int MaximumIpv6ErrorPacket = 1280;

    /// <summary>
    /// Answers an ICMPv4 echo request or ICMPv6 echo request in <paramref name="requestFrame"/> from the
    /// address it was sent to, with the same identifier, sequence and data. <paramref name="replyMac"/> is
    /// the replying interface's MAC. False when the frame is not an intact echo request.
    /// </summary>
    public static bool TryWriteEchoReply(Span<byte> destination, ReadOnlySpan<byte> requestFrame, MacAddress replyMac, out int written)
    {
        written = 0;
        if (!EthernetHeader.TryRead(requestFrame, out var ethernet)) return false;
        ushort? tag = Frames.ReplyTag(ethernet);
        if (ethernet.EtherType == EtherType.IPv4)
        {
            if (!Ipv4Header.TryRead(ethernet.Payload, out var ip) || ip.IsTruncated || ip.IsFragment || ip.Protocol != IpProtocol.Icmp
                || !IcmpV4Header.TryRead(ip.Payload, out var icmp) || icmp.Type != IcmpV4Header.TypeEchoRequest)
                return false;
            var message = ip.Payload;
            int offset = Frames.WriteEthernet(destination, ethernet.Source, replyMac, EtherType.IPv4, tag);
            offset += Ipv4Header.Write(destination.Slice(offset), ip.Destination, ip.Source, IpProtocol.Icmp, message.Length, 64, ip.TypeOfService, ip.Identification);
            if (destination.Length < offset + message.Length) ThrowHelper.DestinationTooShort("an ICMP echo reply", offset + message.Length, destination.Length);
            var reply = destination.Slice(offset, message.Length);
            message.CopyTo(reply);
            reply[0] = IcmpV4Header.TypeEchoReply;
            reply[1] = 0;
            IcmpV4Header.SetChecksum(reply);
            written = offset + message.Length;
            return true;
        }
        if (ethernet.EtherType == EtherType.IPv6)
        {
            if (!Ipv6Header.TryRead(ethernet.Payload, out var ip) || ip.IsTruncated || !ip.TryWalkExtensions(out var walk)
                || walk.IsFragment || walk.UpperLayerProtocol != IpProtocol.IcmpV6)
                return false;
            var message = ethernet.Payload.Slice(walk.UpperLayerOffset, Ipv6Header.Length + ip.PayloadLength - walk.UpperLayerOffset);
            if (!IcmpV6Header.TryRead(message, out var icmp) || icmp.Type != IcmpV6Header.TypeEchoRequest) return false;
            int offset = Frames.WriteEthernet(destination, ethernet.Source, replyMac, EtherType.IPv6, tag);
            offset += Ipv6Header.Write(destination.Slice(offset), ip.Destination, ip.Source, IpProtocol.IcmpV6, message.Length, 64, ip.TrafficClass);
            if (destination.Length < offset + message.Length) ThrowHelper.DestinationTooShort("an ICMPv6 echo reply", offset + message.Length, destination.Length);
            var reply = destination.Slice(offset, message.Length);
            message.CopyTo(reply);
            reply[0] = IcmpV6Header.TypeEchoReply;
            reply[1] = 0;
            IcmpV6Header.SetChecksum(reply, ip.Destination, ip.Source);
            written = offset + message.Length;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Writes an ICMPv4 error (<paramref name="type"/>/<paramref name="code"/>, e.g. time exceeded or
    /// destination unreachable) from <paramref name="routerMac"/>/<paramref name="routerIp"/> back to the sender
    /// of <paramref name="offendingFrame"/>, quoting its IP header and as much data as keeps the error within
    /// 576 bytes. <paramref name="restOfHeader"/> carries the next-hop MTU or pointer where the type has one.
    /// Returns false, per RFC 1812 §4.3.2.7, when the offending packet is itself an ICMP error, a non-first
    /// fragment, or was sent to or from a broadcast/multicast address.
    /// </summary>
    public static bool TryWriteIpv4Error(Span<byte> destination, ReadOnlySpan<byte> offendingFrame, MacAddress routerMac, IPv4Address routerIp,
        byte type, byte code, uint restOfHeader, out int written)
    {
        written = 0;
        if (!EthernetHeader.TryRead(offendingFrame, out var ethernet) || ethernet.EtherType != EtherType.IPv4
            || !Ipv4Header.TryRead(ethernet.Payload, out var ip))
            return false;
        if (ethernet.Destination.IsMulticast || ip.Destination.IsMulticast || ip.Destination == IPv4Address.Broadcast
            || ip.Source.IsMulticast || ip.Source == IPv4Address.Any || ip.Source == IPv4Address.Broadcast
            || ip.FragmentOffset != 0)
            return false;
        if (ip.Protocol == IpProtocol.Icmp && IcmpV4Header.TryRead(ip.Payload, out var offendingIcmp) && offendingIcmp.IsError)
            return false;

        var quoted = ethernet.Payload.Slice(0, ip.HeaderLength + ip.Payload.Length);
        int quoteLength = Math.Min(quoted.Length, MaximumIpv4ErrorDatagram - Ipv4Header.MinimumLength - IcmpV4Header.Length);
        int messageLength = IcmpV4Header.Length + quoteLength;
        int offset = Frames.WriteEthernet(destination, ethernet.Source, routerMac, EtherType.IPv4, Frames.ReplyTag(ethernet));
        // TOS 0xC0 (internetwork control) as routers commonly mark their own ICMP.
        offset += Ipv4Header.Write(destination.Slice(offset), routerIp, ip.Source, IpProtocol.Icmp, messageLength, 64, 0xC0);
        if (destination.Length < offset + messageLength) ThrowHelper.DestinationTooShort("an ICMP error", offset + messageLength, destination.Length);
        var message = destination.Slice(offset, messageLength);
        IcmpV4Header.Write(message, type, code, restOfHeader);
        quoted.Slice(0, quoteLength).CopyTo(message.Slice(IcmpV4Header.Length));
        IcmpV4Header.SetChecksum(message);
        written = offset + messageLength;
        return true;
    }

    /// <summary>
    /// Writes an ICMPv6 error back to the sender of <paramref name="offendingFrame"/>, quoting as much of the
    /// offending packet as fits in 1280 bytes. False, per RFC 4443 §2.4(e), when the offending packet is an
    /// ICMPv6 error, was sent from the unspecified or a multicast address, or was sent to a multicast address
    /// (except for packet-too-big and parameter-problem code 2, which the RFC allows).
    /// </summary>
    public static bool TryWriteIpv6Error(Span<byte> destination, ReadOnlySpan<byte> offendingFrame, MacAddress routerMac, IPv6Address routerIp,
        byte type, byte code, uint restOfHeader, out int written)
    {
        written = 0;
        if (!EthernetHeader.TryRead(offendingFrame, out var ethernet) || ethernet.EtherType != EtherType.IPv6
            || !Ipv6Header.TryRead(ethernet.Payload, out var ip))
            return false;
        bool multicastAllowed = type == IcmpV6Header.TypePacketTooBig || (type == IcmpV6Header.TypeParameterProblem && code == 2);
        if (ip.Source.IsMulticast || ip.Source == IPv6Address.Any || (ip.Destination.IsMulticast && !multicastAllowed))
            return false;
        if (ip.TryWalkExtensions(out var walk) && walk.UpperLayerProtocol == IpProtocol.IcmpV6 && !walk.IsFragment
            && walk.UpperLayerOffset < ethernet.Payload.Length && ethernet.Payload[walk.UpperLayerOffset] < 128)
            return false;

        var quoted = ethernet.Payload.Slice(0, Ipv6Header.Length + ip.Payload.Length);
        int quoteLength = Math.Min(quoted.Length, MaximumIpv6ErrorPacket - Ipv6Header.Length - IcmpV6Header.Length);
        int messageLength = IcmpV6Header.Length + quoteLength;
        int offset = Frames.WriteEthernet(destination, ethernet.Source, routerMac, EtherType.IPv6, Frames.ReplyTag(ethernet));
        offset += Ipv6Header.Write(destination.Slice(offset), routerIp, ip.Source, IpProtocol.IcmpV6, messageLength, 64);
        if (destination.Length < offset + messageLength) ThrowHelper.DestinationTooShort("an ICMPv6 error", offset + messageLength, destination.Length);
        var message = destination.Slice(offset, messageLength);
        IcmpV6Header.Write(message, type, code, restOfHeader);
        quoted.Slice(0, quoteLength).CopyTo(message.Slice(IcmpV6Header.Length));
        IcmpV6Header.SetChecksum(message, routerIp, ip.Source);
        written = offset + messageLength;
        return true;
    }
}
