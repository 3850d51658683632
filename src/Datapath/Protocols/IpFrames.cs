using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// Builds complete Ethernet frames carrying UDP or TCP over IPv4 or IPv6, with every checksum
/// computed. Allocation-free; throws only when the destination is too short or a length is out of range.
/// </summary>
public static class IpFrames
{
    /// <summary>Writes Ethernet/IPv4/UDP around <paramref name="payload"/>. Returns the frame length.</summary>
    public static int WriteUdp(Span<byte> destination, MacAddress sourceMac, MacAddress destinationMac, IPv4Address source, IPv4Address destinationIp,
        ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, byte timeToLive = 64, ushort? vlanTci = null)
    {
        int udpLength = UdpHeader.Length + payload.Length;
        int offset = Frames.WriteEthernet(destination, destinationMac, sourceMac, EtherType.IPv4, vlanTci);
        offset += Ipv4Header.Write(destination.Slice(offset), source, destinationIp, IpProtocol.Udp, udpLength, timeToLive);
        WriteUdpDatagram(destination.Slice(offset), sourcePort, destinationPort, payload,
            Checksum.PseudoHeaderSum(source, destinationIp, IpProtocol.Udp, udpLength));
        return offset + udpLength;
    }

    /// <summary>Writes Ethernet/IPv6/UDP around <paramref name="payload"/>. Returns the frame length.</summary>
    public static int WriteUdp(Span<byte> destination, MacAddress sourceMac, MacAddress destinationMac, IPv6Address source, IPv6Address destinationIp,
        ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, byte hopLimit = 64, ushort? vlanTci = null)
    {
        int udpLength = UdpHeader.Length + payload.Length;
        int offset = Frames.WriteEthernet(destination, destinationMac, sourceMac, EtherType.IPv6, vlanTci);
        offset += Ipv6Header.Write(destination.Slice(offset), source, destinationIp, IpProtocol.Udp, udpLength, hopLimit);
        WriteUdpDatagram(destination.Slice(offset), sourcePort, destinationPort, payload,
            Checksum.PseudoHeaderSum(source, destinationIp, IpProtocol.Udp, udpLength));
        return offset + udpLength;
    }

    /// <summary>Writes Ethernet/IPv4/TCP around <paramref name="payload"/>. Returns the frame length.</summary>
    public static int WriteTcp(Span<byte> destination, MacAddress sourceMac, MacAddress destinationMac, IPv4Address source, IPv4Address destinationIp,
        ushort sourcePort, ushort destinationPort, uint sequenceNumber, uint acknowledgmentNumber, TcpFlags flags, ushort window,
        ReadOnlySpan<byte> payload, ReadOnlySpan<byte> options = default, byte timeToLive = 64, ushort? vlanTci = null)
    {
        int tcpLength = TcpHeader.MinimumLength + options.Length + payload.Length;
        int offset = Frames.WriteEthernet(destination, destinationMac, sourceMac, EtherType.IPv4, vlanTci);
        offset += Ipv4Header.Write(destination.Slice(offset), source, destinationIp, IpProtocol.Tcp, tcpLength, timeToLive, dontFragment: true);
        WriteTcpSegment(destination.Slice(offset), sourcePort, destinationPort, sequenceNumber, acknowledgmentNumber, flags, window, payload, options,
            Checksum.PseudoHeaderSum(source, destinationIp, IpProtocol.Tcp, tcpLength));
        return offset + tcpLength;
    }

    /// <summary>Writes Ethernet/IPv6/TCP around <paramref name="payload"/>. Returns the frame length.</summary>
    public static int WriteTcp(Span<byte> destination, MacAddress sourceMac, MacAddress destinationMac, IPv6Address source, IPv6Address destinationIp,
        ushort sourcePort, ushort destinationPort, uint sequenceNumber, uint acknowledgmentNumber, TcpFlags flags, ushort window,
        ReadOnlySpan<byte> payload, ReadOnlySpan<byte> options = default, byte hopLimit = 64, ushort? vlanTci = null)
    {
        int tcpLength = TcpHeader.MinimumLength + options.Length + payload.Length;
        int offset = Frames.WriteEthernet(destination, destinationMac, sourceMac, EtherType.IPv6, vlanTci);
        offset += Ipv6Header.Write(destination.Slice(offset), source, destinationIp, IpProtocol.Tcp, tcpLength, hopLimit);
        WriteTcpSegment(destination.Slice(offset), sourcePort, destinationPort, sequenceNumber, acknowledgmentNumber, flags, window, payload, options,
            Checksum.PseudoHeaderSum(source, destinationIp, IpProtocol.Tcp, tcpLength));
        return offset + tcpLength;
    }

    private static void WriteUdpDatagram(Span<byte> destination, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, ulong pseudoHeaderSum)
    {
        int length = UdpHeader.Length + payload.Length;
        if (destination.Length < length) ThrowHelper.DestinationTooShort("a UDP datagram", length, destination.Length);
        UdpHeader.Write(destination, sourcePort, destinationPort, payload.Length);
        payload.CopyTo(destination.Slice(UdpHeader.Length));
        UdpHeader.SetChecksum(destination.Slice(0, length), pseudoHeaderSum);
    }

    private static void WriteTcpSegment(Span<byte> destination, ushort sourcePort, ushort destinationPort, uint sequenceNumber, uint acknowledgmentNumber,
        TcpFlags flags, ushort window, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> options, ulong pseudoHeaderSum)
    {
        int length = TcpHeader.MinimumLength + options.Length + payload.Length;
        if (destination.Length < length) ThrowHelper.DestinationTooShort("a TCP segment", length, destination.Length);
        int headerLength = TcpHeader.Write(destination, sourcePort, destinationPort, sequenceNumber, acknowledgmentNumber, flags, window, 0, options);
        payload.CopyTo(destination.Slice(headerLength));
        TcpHeader.SetChecksum(destination.Slice(0, length), pseudoHeaderSum);
    }
}
