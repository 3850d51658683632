using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// Builds whole DHCP frames: a DHCP message (see <see cref="DhcpMessage.Write"/>) behind Ethernet, IPv4 and UDP
/// headers with correct checksums. All members are static, allocation-free and thread-safe; they throw
/// <see cref="ArgumentException"/> when the destination is too short.
/// </summary>
public static class DhcpFrames
{
    /// <summary>Bytes in front of the DHCP message: Ethernet 14 + IPv4 20 + UDP 8.</summary>
    public const int HeadersLength = EthernetHeader.Length + Ipv4Header.MinimumLength + UdpHeader.Length;
    /// <summary>The IPv4 TTL the writers use.</summary>
    public const byte TimeToLive = 64;

    /// <summary>
    /// Writes <paramref name="dhcpMessage"/> (copied as given, overlap-safe) in UDP over IPv4 over Ethernet with IPv4
    /// and UDP checksums. Returns the frame length (message + 42). Throws <see cref="ArgumentException"/> when the
    /// destination is too short and <see cref="ArgumentOutOfRangeException"/> when the packet would exceed 65535 bytes.
    /// </summary>
    public static int WriteDhcp(Span<byte> destination, MacAddress sourceMac, MacAddress destinationMac, IPv4Address sourceIp, IPv4Address destinationIp,
        ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> dhcpMessage)
    {
        int udpLength = UdpHeader.Length + dhcpMessage.Length;
        if (Ipv4Header.MinimumLength + udpLength > ushort.MaxValue)
            ThrowHelper.ArgumentOutOfRange(nameof(dhcpMessage), "The IPv4 packet would exceed 65535 bytes.");
        int total = HeadersLength + dhcpMessage.Length;
        if (destination.Length < total) ThrowHelper.DestinationTooShort("a DHCP frame", total, destination.Length);
        dhcpMessage.CopyTo(destination.Slice(HeadersLength));
        EthernetHeader.Write(destination, destinationMac, sourceMac, EtherType.IPv4);
        Ipv4Header.Write(destination.Slice(EthernetHeader.Length), sourceIp, destinationIp, IpProtocol.Udp, udpLength, timeToLive: TimeToLive);
        var datagram = destination.Slice(EthernetHeader.Length + Ipv4Header.MinimumLength, udpLength);
        UdpHeader.Write(datagram, sourcePort, destinationPort, dhcpMessage.Length);
        UdpHeader.SetChecksum(datagram, Checksum.PseudoHeaderSum(sourceIp, destinationIp, IpProtocol.Udp, udpLength));
        return total;
    }

    /// <summary>
    /// Writes a message from a client that has no address yet (DISCOVER, or REQUEST in the SELECTING/INIT-REBOOT
    /// states): 0.0.0.0:68 to 255.255.255.255:67, Ethernet broadcast (RFC 2131 §4.1, §4.4.1). A bound client that
    /// renews unicasts to its server instead: use <see cref="WriteDhcp"/>. Returns the frame length; throws like it.
    /// </summary>
    public static int WriteClientBroadcast(Span<byte> destination, MacAddress clientMac, ReadOnlySpan<byte> dhcpMessage) =>
        WriteDhcp(destination, clientMac, MacAddress.Broadcast, IPv4Address.Any, IPv4Address.Broadcast,
            DhcpMessage.ClientPort, DhcpMessage.ServerPort, dhcpMessage);

    /// <summary>
    /// Writes a server's reply (OFFER, ACK, NAK) from <paramref name="serverIp"/>:67, choosing the destination from the
    /// message's own fields as RFC 2131 §4.1 prescribes: giaddr set → the relay agent at giaddr, port 67, Ethernet
    /// <paramref name="relayMac"/>; otherwise NAK → broadcast; ciaddr set → unicast to ciaddr; BROADCAST flag →
    /// 255.255.255.255 and Ethernet broadcast; else unicast to yiaddr. Unicasts to the client use its chaddr as the
    /// Ethernet destination (it is on the link and may not answer ARP yet). Returns the frame length. Throws
    /// <see cref="ArgumentOutOfRangeException"/> when <paramref name="dhcpMessage"/> is not a DHCP message or it is
    /// relayed and <paramref name="relayMac"/> is zero, and like <see cref="WriteDhcp"/> otherwise.
    /// </summary>
    public static int WriteServerReply(Span<byte> destination, MacAddress serverMac, IPv4Address serverIp, ReadOnlySpan<byte> dhcpMessage,
        MacAddress relayMac = default)
    {
        if (!DhcpMessage.TryRead(dhcpMessage, out var message))
            ThrowHelper.ArgumentOutOfRange(nameof(dhcpMessage), "Not a DHCP message: at least 240 bytes ending the fixed part with the magic cookie.");

        MacAddress toMac;
        IPv4Address toIp;
        ushort toPort = DhcpMessage.ClientPort;
        if (message.GatewayAddress != IPv4Address.Any)
        {
            if (relayMac == MacAddress.Zero)
                ThrowHelper.ArgumentOutOfRange(nameof(relayMac), "A relayed reply (giaddr set) needs the relay agent's MAC address.");
            toMac = relayMac;
            toIp = message.GatewayAddress;
            toPort = DhcpMessage.ServerPort;
        }
        else if (message.MessageType == DhcpMessageType.Nak)
        {
            // "In all cases, when 'giaddr' is zero, the server broadcasts any DHCPNAK messages" (RFC 2131 §4.1).
            toMac = MacAddress.Broadcast;
            toIp = IPv4Address.Broadcast;
        }
        else if (message.ClientAddress != IPv4Address.Any)
        {
            toMac = message.ClientMac;
            toIp = message.ClientAddress;
        }
        else if (message.IsBroadcast)
        {
            toMac = MacAddress.Broadcast;
            toIp = IPv4Address.Broadcast;
        }
        else
        {
            toMac = message.ClientMac;
            toIp = message.YourAddress;
        }
        return WriteDhcp(destination, serverMac, toMac, serverIp, toIp, DhcpMessage.ServerPort, toPort, dhcpMessage);
    }
}
