namespace NetFabric.Datapath.Protocols;

/// <summary>
/// Builds complete Ethernet frames carrying ARP (RFC 826). Frames are not padded to the 60-byte
/// Ethernet minimum: ports that need it (a NIC) pad on transmit. Allocation-free; throws only when the
/// destination is too short.
/// </summary>
public static class ArpFrames
{
    /// <summary>Length of an untagged ARP frame.</summary>
    public const int Length = EthernetHeader.Length + ArpPacket.Length;

    /// <summary>Writes a broadcast "who has <paramref name="targetIp"/>" request. Returns the frame length.</summary>
    public static int WriteRequest(Span<byte> destination, MacAddress senderMac, IPv4Address senderIp, IPv4Address targetIp, ushort? vlanTci = null)
    {
        int offset = Frames.WriteEthernet(destination, MacAddress.Broadcast, senderMac, EtherType.Arp, vlanTci);
        return offset + ArpPacket.Write(destination.Slice(offset), ArpPacket.OperationRequest, senderMac, senderIp, MacAddress.Zero, targetIp);
    }

    /// <summary>Writes a unicast reply telling <paramref name="targetMac"/> that <paramref name="senderIp"/> is at <paramref name="senderMac"/>. Returns the frame length.</summary>
    public static int WriteReply(Span<byte> destination, MacAddress senderMac, IPv4Address senderIp, MacAddress targetMac, IPv4Address targetIp, ushort? vlanTci = null)
    {
        int offset = Frames.WriteEthernet(destination, targetMac, senderMac, EtherType.Arp, vlanTci);
        return offset + ArpPacket.Write(destination.Slice(offset), ArpPacket.OperationReply, senderMac, senderIp, targetMac, targetIp);
    }

    /// <summary>
    /// Answers the ARP request in <paramref name="requestFrame"/> on behalf of <paramref name="answerMac"/>
    /// (the owner of the requested address, or a proxy). The reply keeps the request's VLAN tag.
    /// False when the frame is not an Ethernet/IPv4 ARP request.
    /// </summary>
    public static bool TryWriteReplyTo(Span<byte> destination, ReadOnlySpan<byte> requestFrame, MacAddress answerMac, out int written)
    {
        written = 0;
        if (!EthernetHeader.TryRead(requestFrame, out var ethernet) || ethernet.EtherType != EtherType.Arp
            || !ArpPacket.TryRead(ethernet.Payload, out var request) || request.Operation != ArpPacket.OperationRequest)
            return false;
        written = WriteReply(destination, answerMac, request.TargetProtocolAddress, request.SenderHardwareAddress, request.SenderProtocolAddress,
            Frames.ReplyTag(ethernet));
        return true;
    }
}
