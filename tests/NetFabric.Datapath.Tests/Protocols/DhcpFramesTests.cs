using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;
using PacketDotNet;

namespace NetFabric.Datapath.Tests.Protocols;

public class DhcpFramesTests
{
    private static readonly MacAddress ServerMac = MacAddress.Parse("02:00:00:00:00:fe");
    private static readonly IPv4Address ServerIp = IPv4Address.Parse("192.0.2.1");
    private static readonly MacAddress RelayMac = MacAddress.Parse("02:00:00:00:00:aa");

    // Parses a frame built here with NetFabric's views, checking each layer and both checksums on the way.
    private static (MacAddress DestinationMac, MacAddress SourceMac, IPv4Address Source, IPv4Address Destination, ushort SourcePort, ushort DestinationPort, byte[] Message)
        Parse(ReadOnlySpan<byte> frame)
    {
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        Assert.Equal(EtherType.IPv4, ethernet.EtherType);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.True(ip.IsChecksumValid);
        Assert.False(ip.IsTruncated);
        Assert.Equal(IpProtocol.Udp, ip.Protocol);
        Assert.True(UdpHeader.TryRead(ip.Payload, out var udp));
        Assert.False(udp.IsTruncated);
        Assert.True(TunnelModels.UdpChecksumValid(udp.Bytes, ip.Source, ip.Destination));
        return (ethernet.Destination, ethernet.Source, ip.Source, ip.Destination, udp.SourcePort, udp.DestinationPort, udp.Payload.ToArray());
    }

    [Property]
    public Property A_client_broadcast_goes_from_0_0_0_0_port_68_to_the_broadcast_address_port_67() =>
        Prop.ForAll(Arb.From(DhcpModel.Gen), m =>
        {
            var message = m.Build();
            var frame = new byte[DhcpFrames.HeadersLength + message.Length];
            Assert.Equal(frame.Length, DhcpFrames.WriteClientBroadcast(frame, new MacAddress(m.Mac), message));

            var parsed = Parse(frame);
            Assert.Equal(MacAddress.Broadcast, parsed.DestinationMac);
            Assert.Equal(new MacAddress(m.Mac), parsed.SourceMac);
            Assert.Equal(IPv4Address.Any, parsed.Source);
            Assert.Equal(IPv4Address.Broadcast, parsed.Destination);
            Assert.Equal(DhcpMessage.ClientPort, parsed.SourcePort);
            Assert.Equal(DhcpMessage.ServerPort, parsed.DestinationPort);
            Assert.Equal(message, parsed.Message);
        });

    [Property]
    public Property A_server_reply_is_addressed_as_rfc_2131_section_4_1_prescribes() =>
        Prop.ForAll(Arb.From(DhcpModel.Gen), m =>
        {
            var message = (m with { Op = DhcpMessage.BootReply }).Build();
            var frame = new byte[DhcpFrames.HeadersLength + message.Length];
            DhcpFrames.WriteServerReply(frame, ServerMac, ServerIp, message, RelayMac);

            var parsed = Parse(frame);
            Assert.Equal(ServerMac, parsed.SourceMac);
            Assert.Equal(ServerIp, parsed.Source);
            Assert.Equal(DhcpMessage.ServerPort, parsed.SourcePort);
            Assert.Equal(message, parsed.Message);

            var client = new MacAddress(m.Mac);
            var expected = m switch
            {
                { Giaddr: not 0 } => (RelayMac, new IPv4Address(m.Giaddr), DhcpMessage.ServerPort),
                { Type: DhcpMessageType.Nak } => (MacAddress.Broadcast, IPv4Address.Broadcast, DhcpMessage.ClientPort),
                { Ciaddr: not 0 } => (client, new IPv4Address(m.Ciaddr), DhcpMessage.ClientPort),
                { Broadcast: true } => (MacAddress.Broadcast, IPv4Address.Broadcast, DhcpMessage.ClientPort),
                _ => (client, new IPv4Address(m.Yiaddr), DhcpMessage.ClientPort),
            };
            Assert.Equal(expected, (parsed.DestinationMac, parsed.Destination, parsed.DestinationPort));
        });

    [Property]
    public Property PacketDotNet_decodes_the_frames_the_same_way() =>
        Prop.ForAll(Arb.From(DhcpModel.Gen.Where(m => m.Type != DhcpMessageType.None)), model =>
        {
            // PacketDotNet 1.4.8 does not skip leading Pad options (RFC 2132 §3.1) when it looks for option 53.
            var m = model with { Pads = 0 };
            var message = m.Build();
            var frame = new byte[DhcpFrames.HeadersLength + message.Length];
            DhcpFrames.WriteClientBroadcast(frame, new MacAddress(m.Mac), message);

            var packet = Packet.ParsePacket(LinkLayers.Ethernet, frame);
            var ip = packet.Extract<IPv4Packet>();
            var udp = packet.Extract<UdpPacket>();
            var dhcp = packet.Extract<DhcpV4Packet>();
            Assert.NotNull(dhcp);
            Assert.True(ip.ValidIPChecksum);
            Assert.True(udp.ValidUdpChecksum);
            Assert.Equal(m.Xid, dhcp.TransactionId);
            // PacketDotNet's Broadcast property tests bit 0x0080; RFC 2131 figure 2 puts B in the top bit, so compare Flags.
            Assert.Equal(m.Broadcast ? 0x8000 : 0, dhcp.Flags);
            Assert.Equal(new IPv4Address(m.Yiaddr).ToString(), dhcp.YourAddress.ToString());
            Assert.Equal(new IPv4Address(m.Giaddr).ToString(), dhcp.GatewayAddress.ToString());
            Assert.Equal(new MacAddress(m.Mac).ToString().Replace(":", "", StringComparison.Ordinal),
                dhcp.ClientHardwareAddress.ToString().ToLowerInvariant());
            Assert.Equal((int)m.Type, (int)dhcp.MessageType);
        });

    [Fact]
    public void A_relayed_reply_needs_the_relay_mac_and_a_reply_needs_a_dhcp_message()
    {
        var relayed = new DhcpModel(2, 1, 1, 0, 0, 0, 0x0A00_0001, false, DhcpMessageType.Offer, null, null, [], [], [], 0).Build();
        var frame = new byte[1000];
        Assert.Throws<ArgumentOutOfRangeException>(() => DhcpFrames.WriteServerReply(frame, ServerMac, ServerIp, relayed));
        Assert.Throws<ArgumentOutOfRangeException>(() => DhcpFrames.WriteServerReply(frame, ServerMac, ServerIp, new byte[239]));
        Assert.Throws<ArgumentException>(() => DhcpFrames.WriteClientBroadcast(new byte[DhcpFrames.HeadersLength + 299], ServerMac, new byte[300]));
    }
}
