using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Interop;

/// One frame from every NetFabric builder, with a name saying which. The tshark interop test decodes
/// them all; the same list is the sample capture the repository ships (samples/data/sample.pcap).
public static class BuilderFrames
{
    private static readonly MacAddress HostA = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly MacAddress HostB = MacAddress.Parse("02:00:00:00:00:0b");
    private static readonly MacAddress Router = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress UnderlayA = MacAddress.Parse("02:00:00:00:01:0a");
    private static readonly MacAddress UnderlayB = MacAddress.Parse("02:00:00:00:01:0b");
    private static readonly IPv4Address IpA = IPv4Address.Parse("198.18.0.10");
    private static readonly IPv4Address IpB = IPv4Address.Parse("198.18.1.11");
    private static readonly IPv4Address RouterIp = IPv4Address.Parse("198.18.0.1");
    private static readonly IPv4Address VtepA = IPv4Address.Parse("192.0.2.1");
    private static readonly IPv4Address VtepB = IPv4Address.Parse("192.0.2.2");
    private static readonly IPv6Address Ip6A = IPv6Address.Parse("2001:db8::a");
    private static readonly IPv6Address Ip6B = IPv6Address.Parse("2001:db8:1::b");
    private static readonly IPv6Address Router6 = IPv6Address.Parse("2001:db8::1");

    public static IReadOnlyList<(string Name, byte[] Frame)> All()
    {
        var frames = new List<(string, byte[])>();
        void Add(string name, Func<byte[], int> build)
        {
            var buffer = new byte[2048];
            frames.Add((name, buffer[..build(buffer)]));
        }

        byte[] payload = "NetFabric says hello over UDP."u8.ToArray();
        Add("ARP request", b => ArpFrames.WriteRequest(b, HostA, IpA, RouterIp));
        Add("ARP reply", b => ArpFrames.WriteReply(b, Router, RouterIp, HostA, IpA));
        Add("ARP request, VLAN 10", b => ArpFrames.WriteRequest(b, HostA, IpA, RouterIp, vlanTci: 10));
        Add("UDP over IPv4", b => IpFrames.WriteUdp(b, HostA, HostB, IpA, IpB, 40000, 9000, payload));
        Add("UDP over IPv4, QinQ", b =>
        {
            int offset = EthernetHeader.WriteTagged(b, HostB, HostA, 20, EtherType.IPv4, outerTci: 300);
            var inner = new byte[128];
            int length = IpFrames.WriteUdp(inner, HostA, HostB, IpA, IpB, 40000, 9000, payload);
            inner.AsSpan(14, length - 14).CopyTo(b.AsSpan(offset));
            return offset + length - 14;
        });
        Add("UDP over IPv6", b => IpFrames.WriteUdp(b, HostA, HostB, Ip6A, Ip6B, 40000, 9000, payload));
        Add("TCP SYN over IPv4 with MSS", b => IpFrames.WriteTcp(b, HostA, HostB, IpA, IpB, 40001, 8080, 1000, 0, TcpFlags.Syn, 64240, default,
            new byte[] { TcpHeader.OptionMss, 4, 0x05, 0xB4 }));
        Add("TCP data over IPv6", b => IpFrames.WriteTcp(b, HostA, HostB, Ip6A, Ip6B, 40002, 443, 5000, 7000, TcpFlags.Ack | TcpFlags.Psh, 512, payload));

        var echo = new byte[128];
        int echoLength = EchoRequest(echo, ipv6: false);
        frames.Add(("ICMP echo request", echo[..echoLength]));
        Add("ICMP echo reply", b => IcmpFrames.TryWriteEchoReply(b, echo.AsSpan(0, echoLength), HostB, out int n) ? n : throw new InvalidOperationException("echo reply"));
        var echo6 = new byte[128];
        int echo6Length = EchoRequest(echo6, ipv6: true);
        frames.Add(("ICMPv6 echo request", echo6[..echo6Length]));
        Add("ICMPv6 echo reply", b => IcmpFrames.TryWriteEchoReply(b, echo6.AsSpan(0, echo6Length), HostB, out int n) ? n : throw new InvalidOperationException("echo6 reply"));

        var big = new byte[1200];
        int bigLength = IpFrames.WriteUdp(big, HostA, Router, IpA, IpB, 40000, 9000, new byte[1000], timeToLive: 1);
        Add("ICMP time exceeded quoting 548 bytes", b => IcmpFrames.TryWriteIpv4Error(b, big.AsSpan(0, bigLength), Router, RouterIp,
            IcmpV4Header.TypeTimeExceeded, IcmpV4Header.CodeTtlExceeded, 0, out int n) ? n : throw new InvalidOperationException("time exceeded"));
        Add("ICMP host unreachable", b => IcmpFrames.TryWriteIpv4Error(b, big.AsSpan(0, bigLength), Router, RouterIp,
            IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeHostUnreachable, 0, out int n) ? n : throw new InvalidOperationException("unreachable"));
        var big6 = new byte[1200];
        int big6Length = IpFrames.WriteUdp(big6, HostA, Router, Ip6A, Ip6B, 40000, 9000, new byte[1100], hopLimit: 1);
        Add("ICMPv6 time exceeded", b => IcmpFrames.TryWriteIpv6Error(b, big6.AsSpan(0, big6Length), Router, Router6,
            IcmpV6Header.TypeTimeExceeded, 0, 0, out int n) ? n : throw new InvalidOperationException("time exceeded v6"));

        var inner = frames[3].Item2;
        Add("VXLAN over IPv4", b => TunnelFrames.WriteVxlan(b, inner, UnderlayA, UnderlayB, VtepA, VtepB, 5001));
        Add("VXLAN over IPv6", b => TunnelFrames.WriteVxlan(b, inner, UnderlayA, UnderlayB, IPv6Address.Parse("2001:db8:ff::1"), IPv6Address.Parse("2001:db8:ff::2"), 5002));
        var options = new byte[GeneveHeader.OptionLength(4) + GeneveHeader.OptionLength(8)];
        int optionsLength = GeneveHeader.WriteOption(options, 0x0102, 0x01, new byte[] { 1, 2, 3, 4 });
        GeneveHeader.WriteOption(options.AsSpan(optionsLength), 0xFFFF, 0x7F, new byte[8]);
        Add("Geneve with two options", b => TunnelFrames.WriteGeneve(b, inner, UnderlayA, UnderlayB, VtepA, VtepB, 6001, options));
        Add("GRE with key", b => TunnelFrames.WriteGre(b, inner, UnderlayA, UnderlayB, VtepA, VtepB, key: 0x1234));
        Add("GRE with key, sequence and checksum", b => TunnelFrames.WriteGre(b, inner, UnderlayA, UnderlayB, VtepA, VtepB, key: 7, sequence: 42, checksum: true));

        Add("DHCP discover", b => DhcpFrames.WriteClientBroadcast(b, HostA, Dhcp(DhcpMessage.BootRequest, DhcpMessageType.Discover, default)));
        Add("DHCP offer", b => DhcpFrames.WriteServerReply(b, Router, RouterIp, Dhcp(DhcpMessage.BootReply, DhcpMessageType.Offer, IpA)));
        return frames;
    }

    private static int EchoRequest(Span<byte> frame, bool ipv6)
    {
        int offset = EthernetHeader.Write(frame, HostB, HostA, ipv6 ? EtherType.IPv6 : EtherType.IPv4);
        var data = "0123456789abcdef0123456789abcdef"u8;
        int length = IcmpV4Header.Length + data.Length;
        offset += ipv6
            ? Ipv6Header.Write(frame.Slice(offset), Ip6A, Ip6B, IpProtocol.IcmpV6, length)
            : Ipv4Header.Write(frame.Slice(offset), IpA, IpB, IpProtocol.Icmp, length, identification: 1);
        var message = frame.Slice(offset, length);
        if (ipv6)
        {
            IcmpV6Header.Write(message, IcmpV6Header.TypeEchoRequest, 0, 0x0001_0001);
            data.CopyTo(message.Slice(8));
            IcmpV6Header.SetChecksum(message, Ip6A, Ip6B);
        }
        else
        {
            IcmpV4Header.Write(message, IcmpV4Header.TypeEchoRequest, 0, 0x0001_0001);
            data.CopyTo(message.Slice(8));
            IcmpV4Header.SetChecksum(message);
        }
        return offset + length;
    }

    private static byte[] Dhcp(byte op, DhcpMessageType type, IPv4Address offered)
    {
        var optionBytes = new byte[64];
        var writer = new DhcpOptionWriter(optionBytes);
        writer.AddMessageType(type);
        if (op == DhcpMessage.BootReply)
        {
            writer.AddAddress(DhcpOptionCode.ServerIdentifier, RouterIp);
            writer.AddUInt32(DhcpOptionCode.LeaseTime, 3600);
            writer.AddAddress(DhcpOptionCode.SubnetMask, IPv4Address.Parse("255.255.255.0"));
            writer.AddAddress(DhcpOptionCode.Router, RouterIp);
        }
        writer.AddEnd();
        var message = new byte[DhcpMessage.GetLength(writer.Length)];
        DhcpMessage.Write(message, op, 0x1234_5678, HostA, default, offered, default, default, broadcast: op == DhcpMessage.BootRequest, writer.Written);
        return message;
    }
}
