using System.Buffers.Binary;
using System.Net.NetworkInformation;
using FsCheck;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Datapath.Tests.Support;
using PacketDotNet;
using ArpPacket = NetFabric.Datapath.Protocols.ArpPacket;

namespace NetFabric.Datapath.Tests.Flows;

public class FlowKeyTests
{
    private static readonly MacAddress Host1 = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress Host2 = MacAddress.Parse("02:00:00:00:00:02");

    [Fact]
    public void Key_is_112_bytes_of_whole_words()
    {
        Assert.Equal(FlowKey.Size, System.Runtime.CompilerServices.Unsafe.SizeOf<FlowKey>());
        Assert.Equal(14, default(FlowKey).AsWords().Length);
    }

    [Fact]
    public void Ipv4_udp_frame_yields_every_field()
    {
        var frame = new byte[64];
        int length = IpFrames.WriteUdp(frame, Host1, Host2, IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"), 1234, 4321, new byte[10], 17, vlanTci: 0x2005);
        var tunnel = new TunnelMetadata(77, IPv4Address.Parse("192.0.2.1"), IPv4Address.Parse("192.0.2.2"));

        var layers = FlowKey.Extract(frame.AsSpan(0, length), 3, tunnel, out var key);

        Assert.Equal(FlowKeyLayers.Transport, layers);
        Assert.False(key.Malformed);
        Assert.Equal(3u, key.InPort);
        Assert.Equal(77ul, key.TunnelId);
        Assert.Equal(tunnel.Source, key.TunnelSource);
        Assert.Equal(Host1, key.EthernetSource);
        Assert.Equal(Host2, key.EthernetDestination);
        Assert.Equal(EtherType.IPv4, key.EtherType);
        Assert.Equal(0x2005 | EthernetHeader.TagPresent, key.VlanTci);
        Assert.Equal(IPv4Address.Parse("198.18.0.1"), key.Ipv4Source);
        Assert.Equal(IPv4Address.Parse("198.18.0.2"), key.Ipv4Destination);
        Assert.Equal(0ul, key.NetworkSource.Upper);
        Assert.Equal(IpProtocol.Udp, key.NetworkProtocol);
        Assert.Equal(17, key.NetworkTtl);
        Assert.Equal(1234, key.TransportSource);
        Assert.Equal(4321, key.TransportDestination);
        Assert.Equal(FlowFragment.None, key.Fragment);
    }

    [Fact]
    public void Double_tagged_frame_keys_both_tags()
    {
        var frame = new byte[64];
        int offset = EthernetHeader.WriteTagged(frame, Host2, Host1, 0x0064, EtherType.Arp, outerTci: 0x00C8);
        ArpPacket.Write(frame.AsSpan(offset), ArpPacket.OperationRequest, Host1, IPv4Address.Parse("192.0.2.1"), MacAddress.Zero, IPv4Address.Parse("192.0.2.9"));

        FlowKey.Extract(frame, 1, out var key);

        Assert.Equal(0x0064 | EthernetHeader.TagPresent, key.VlanTci);
        Assert.Equal(0x00C8 | EthernetHeader.TagPresent, key.OuterVlanTci);
        Assert.Equal(EtherType.Arp, key.EtherType);
        Assert.Equal(ArpPacket.OperationRequest, key.NetworkProtocol);
        Assert.Equal(IPv4Address.Parse("192.0.2.1"), key.Ipv4Source);
        Assert.Equal(IPv4Address.Parse("192.0.2.9"), key.Ipv4Destination);
        Assert.Equal(Host1, key.ArpSourceHardware);
        Assert.Equal(FlowKeyLayers.Network, key.Layers);
    }

    [Fact]
    public void Later_ipv4_fragment_has_no_transport_fields()
    {
        var frame = new byte[64];
        int offset = EthernetHeader.Write(frame, Host2, Host1, EtherType.IPv4);
        Ipv4Header.Write(frame.AsSpan(offset), IPv4Address.Parse("192.0.2.1"), IPv4Address.Parse("192.0.2.2"), IpProtocol.Udp, 16, fragmentOffset: 1480);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset + 20), 53); // looks like a port, must not be keyed

        FlowKey.Extract(frame, 1, out var key);

        Assert.Equal(FlowFragment.Later, key.Fragment);
        Assert.Equal(FlowKeyLayers.Network, key.Layers);
        Assert.Equal(0, key.TransportSource);
        Assert.False(key.Malformed);
    }

    [Fact]
    public void Ipv6_key_walks_extension_headers_to_tcp()
    {
        var frame = new byte[14 + 40 + 8 + 20];
        int offset = EthernetHeader.Write(frame, Host2, Host1, EtherType.IPv6);
        var source = IPv6Address.Parse("2001:db8::1");
        var destination = IPv6Address.Parse("2001:db8::2");
        Ipv6Header.Write(frame.AsSpan(offset), source, destination, IpProtocol.HopByHop, 28, 9, flowLabel: 0xABCDE);
        frame[offset + 40] = IpProtocol.Tcp;
        TcpHeader.Write(frame.AsSpan(offset + 48), 80, 8080, 1, 2, TcpFlags.Syn | TcpFlags.Ack, 100);

        FlowKey.Extract(frame, 9, out var key);

        Assert.Equal(FlowKeyLayers.Transport, key.Layers);
        Assert.Equal(source, key.NetworkSource);
        Assert.Equal(destination, key.NetworkDestination);
        Assert.Equal(IpProtocol.Tcp, key.NetworkProtocol);
        Assert.Equal(0xABCDEu, key.Ipv6FlowLabel);
        Assert.Equal((ushort)(TcpFlags.Syn | TcpFlags.Ack), key.TcpFlags);
        Assert.Equal(8080, key.TransportDestination);
    }

    [Fact]
    public void Truncated_frames_record_how_far_parsing_got()
    {
        var frame = new byte[64];
        int length = IpFrames.WriteTcp(frame, Host1, Host2, IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"), 1, 2, 3, 4, TcpFlags.Syn, 5, default);

        Assert.Equal(FlowKeyLayers.None, FlowKey.Extract(frame.AsSpan(0, 13), 1, out var none));
        Assert.True(none.Malformed);
        Assert.Equal(FlowKeyLayers.Ethernet, FlowKey.Extract(frame.AsSpan(0, 30), 1, out var l2));
        Assert.True(l2.Malformed);
        Assert.Equal(Host1, l2.EthernetSource);
        Assert.Equal(FlowKeyLayers.Network, FlowKey.Extract(frame.AsSpan(0, length - 1), 1, out var l3));
        Assert.True(l3.Malformed);
        Assert.Equal(IpProtocol.Tcp, l3.NetworkProtocol);
        Assert.Equal(FlowKeyLayers.Transport, FlowKey.Extract(frame.AsSpan(0, length), 1, out var l4));
        Assert.False(l4.Malformed);
        Assert.Equal(FlowKeyLayers.None, FlowKey.Extract(ReadOnlySpan<byte>.Empty, 1, out var empty));
        Assert.False(empty.Malformed);
    }

    [Fact]
    public void Neighbor_solicitation_keys_its_source_link_layer_option()
    {
        var frame = new byte[14 + 40 + 32];
        var source = IPv6Address.Parse("fe80::1");
        var target = IPv6Address.Parse("fe80::2");
        int offset = EthernetHeader.Write(frame, MacAddress.Parse("33:33:ff:00:00:02"), Host1, EtherType.IPv6);
        offset += Ipv6Header.Write(frame.AsSpan(offset), source, target.SolicitedNodeMulticast, IpProtocol.IcmpV6, 32, 255);
        var message = frame.AsSpan(offset);
        IcmpV6Header.Write(message, IcmpV6Header.TypeNeighborSolicitation, 0, 0);
        target.Write(message.Slice(8));
        message[24] = IcmpV6Header.OptionSourceLinkLayerAddress;
        message[25] = 1;
        Host1.Write(message.Slice(26));

        FlowKey.Extract(frame, 1, out var key);

        Assert.Equal(IcmpV6Header.TypeNeighborSolicitation, key.IcmpType);
        Assert.Equal(Host1, key.ArpSourceHardware);
    }

    [Property(MaxTest = 300)]
    public Property Key_agrees_with_PacketDotNet_on_generated_frames() =>
        Prop.ForAll(FrameModel.Arbitrary(), model =>
        {
            var frame = model.Build();
            FlowKey.Extract(frame, 5, out var key);
            var packet = Packet.ParsePacket(LinkLayers.Ethernet, frame);
            var ethernet = packet.Extract<EthernetPacket>();
            Assert.Equal(key.EthernetSource.ToString(), Mac(ethernet.SourceHardwareAddress));
            Assert.Equal(key.EthernetDestination.ToString(), Mac(ethernet.DestinationHardwareAddress));
            Assert.Equal(FlowKeyLayers.Transport, key.Layers);
            Assert.False(key.Malformed);
            if (model.VlanTci is ushort tci)
            {
                var vlan = packet.Extract<Ieee8021QPacket>();
                Assert.Equal(tci & 0xFFF, vlan.VlanIdentifier);
                Assert.Equal(tci | EthernetHeader.TagPresent, key.VlanTci);
            }
            var ip = packet.Extract<IPPacket>();
            Assert.Equal((byte)ip.Protocol, key.NetworkProtocol);
            Assert.Equal(ip.TimeToLive, key.NetworkTtl);
            if (model.Ipv6)
            {
                Assert.Equal(ip.SourceAddress.ToString(), key.NetworkSource.ToString());
                Assert.Equal(ip.DestinationAddress.ToString(), key.NetworkDestination.ToString());
            }
            else
            {
                Assert.Equal(ip.SourceAddress.ToString(), key.Ipv4Source.ToString());
                Assert.Equal(ip.DestinationAddress.ToString(), key.Ipv4Destination.ToString());
            }
            switch (model.Kind)
            {
                case 0:
                    var udp = packet.Extract<UdpPacket>();
                    Assert.Equal(udp.SourcePort, key.TransportSource);
                    Assert.Equal(udp.DestinationPort, key.TransportDestination);
                    break;
                case 1:
                    var tcp = packet.Extract<TcpPacket>();
                    Assert.Equal(tcp.SourcePort, key.TransportSource);
                    Assert.Equal(tcp.DestinationPort, key.TransportDestination);
                    Assert.Equal(tcp.Flags & 0x1FF, key.TcpFlags);
                    break;
                default:
                    if (model.Ipv6)
                    {
                        var icmp6 = packet.Extract<IcmpV6Packet>();
                        Assert.Equal((byte)icmp6.Type, key.IcmpType);
                        Assert.Equal(icmp6.Code, key.IcmpCode);
                    }
                    else
                    {
                        var icmp = packet.Extract<IcmpV4Packet>();
                        Assert.Equal((ushort)icmp.TypeCode, (ushort)(key.IcmpType << 8 | key.IcmpCode));
                    }
                    break;
            }
        });

    /// Header bytes set to values that sit on the parsers' boundaries (version nibbles, minimum lengths, protocols).
    private static readonly Gen<byte> BoundaryByte = Gen.OneOf(
        Gen.Elements<byte>(0, 1, 2, 4, 5, 6, 7, 8, 9, 17, 19, 20, 0x3F, 0x40, 0x44, 0x45, 0x4F, 0x50, 0x60, 0x80, 0xFF, 58, 44, 43, 60, 51, 0x81, 0x88, 0xA8),
        ArbMap.Default.GeneratorFor<byte>());

    [Property(MaxTest = 2000)]
    public Property Extraction_equals_the_view_based_reference_on_every_truncation_and_mutation() =>
        Prop.ForAll(FrameModel.Arbitrary(), Arb.From(Gen.ArrayOf(Gen.Zip(Gen.Choose(12, 80), BoundaryByte), 3)), (model, mutations) =>
        {
            var frame = model.Build();
            // Corrupt header bytes (the first 80 hold every header of the generated frames), then try every length.
            foreach (var (position, value) in mutations) frame[position % frame.Length] = value;
            var tunnel = new TunnelMetadata(9, new IPv4Address(1), new IPv4Address(2));
            for (int length = 0; length <= frame.Length; length++)
            {
                FlowKey.Extract(frame.AsSpan(0, length), 4, tunnel, out var key);
                var expected = ReferenceFlowKey.Extract(frame.AsSpan(0, length), 4, tunnel);
                Assert.True(expected == key, $"length {length}:\n  expected {expected}\n  actual   {key}");
            }
        });

    [Property(MaxTest = 2000)]
    public void Extraction_equals_the_view_based_reference_on_arbitrary_bytes_behind_an_IP_EtherType(byte[] tail, bool ipv6, bool tagged)
    {
        var frame = new byte[18 + tail.Length];
        int offset = tagged ? 16 : 12;
        if (tagged) { frame[12] = 0x81; frame[13] = 0x00; }
        frame[offset] = ipv6 ? (byte)0x86 : (byte)0x08;
        frame[offset + 1] = ipv6 ? (byte)0xDD : (byte)0x00;
        tail.CopyTo(frame, offset + 2);
        if (tail.Length > 0) frame[offset + 2] = ipv6 ? (byte)(0x60 | (tail[0] & 0x0F)) : (byte)(0x40 | (tail[0] & 0x0F));
        FlowKey.Extract(frame, 1, out var key);
        Assert.Equal(ReferenceFlowKey.Extract(frame, 1, TunnelMetadata.None), key);
    }

    private static string Mac(PhysicalAddress address) =>
        string.Join(':', address.GetAddressBytes().Select(b => b.ToString("x2")));
}
