using System.Buffers.Binary;
using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Protocols;

/// Build → parse round trips: every field a writer takes comes back through the read view.
public class ProtocolRoundTripTests
{
    public record EthernetModel(ulong Destination, ulong Source, ushort EtherType, ushort? Tci, ushort? OuterTci);

    [Property]
    public bool Ethernet_fields_and_VLAN_tags_round_trip(EthernetModel model)
    {
        ushort etherType = (ushort)(model.EtherType | 0x0600);
        if (etherType is EtherType.Vlan or EtherType.QinQ) etherType = EtherType.IPv4;
        var frame = new byte[22 + 4];
        var dst = new MacAddress(model.Destination);
        var src = new MacAddress(model.Source);
        int length = model.Tci is ushort tci
            ? EthernetHeader.WriteTagged(frame, dst, src, tci, etherType, model.OuterTci)
            : EthernetHeader.Write(frame, dst, src, etherType);
        if (!EthernetHeader.TryRead(frame.AsSpan(0, length), out var header)) return false;
        int tags = model.Tci is null ? 0 : model.OuterTci is null ? 1 : 2;
        return header.Destination == dst && header.Source == src && header.EtherType == etherType
            && header.TagCount == tags && header.HeaderLength == length
            && header.VlanTci == (model.Tci ?? 0) && header.OuterVlanTci == (tags == 2 ? model.OuterTci!.Value : 0)
            && header.Payload.Length == 0;
    }

    public record ArpModel(ushort Operation, ulong SenderMac, uint SenderIp, ulong TargetMac, uint TargetIp);

    [Property]
    public bool Arp_fields_round_trip(ArpModel model)
    {
        var bytes = new byte[ArpPacket.Length];
        ArpPacket.Write(bytes, model.Operation, new MacAddress(model.SenderMac), new IPv4Address(model.SenderIp), new MacAddress(model.TargetMac), new IPv4Address(model.TargetIp));
        return ArpPacket.TryRead(bytes, out var arp)
            && arp.Operation == model.Operation
            && arp.SenderHardwareAddress == new MacAddress(model.SenderMac) && arp.SenderProtocolAddress.Value == model.SenderIp
            && arp.TargetHardwareAddress == new MacAddress(model.TargetMac) && arp.TargetProtocolAddress.Value == model.TargetIp;
    }

    [Fact]
    public void Arp_request_frame_is_broadcast_and_its_reply_goes_back_to_the_asker()
    {
        var asker = MacAddress.Parse("02:00:00:00:00:0a");
        var owner = MacAddress.Parse("02:00:00:00:00:0b");
        var request = new byte[64];
        int length = ArpFrames.WriteRequest(request, asker, IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"), vlanTci: 7);
        var reply = new byte[64];
        Assert.True(ArpFrames.TryWriteReplyTo(reply, request.AsSpan(0, length), owner, out int replyLength));
        Assert.True(EthernetHeader.TryRead(reply.AsSpan(0, replyLength), out var ethernet));
        Assert.Equal(asker, ethernet.Destination);
        Assert.Equal(7, ethernet.VlanId);
        Assert.True(ArpPacket.TryRead(ethernet.Payload, out var arp));
        Assert.Equal(ArpPacket.OperationReply, arp.Operation);
        Assert.Equal(owner, arp.SenderHardwareAddress);
        Assert.Equal(IPv4Address.Parse("198.18.0.2"), arp.SenderProtocolAddress);
        Assert.Equal(IPv4Address.Parse("198.18.0.1"), arp.TargetProtocolAddress);
        Assert.False(ArpFrames.TryWriteReplyTo(reply, reply.AsSpan(0, replyLength), owner, out _));
    }

    public record Ipv4Model(uint Source, uint Destination, byte Protocol, byte Ttl, byte Tos, ushort Identification,
        bool DontFragment, bool MoreFragments, ushort FragmentUnits, byte OptionWords, ushort PayloadLength);

    [Property(MaxTest = 300)]
    public bool Ipv4_fields_and_options_round_trip(Ipv4Model model)
    {
        int optionLength = model.OptionWords % 11 * 4;
        var options = Enumerable.Range(0, optionLength).Select(i => (byte)(i == 0 ? 1 : i)).ToArray();
        int payloadLength = model.PayloadLength % 1500;
        int fragmentOffset = model.FragmentUnits % 0x2000 * 8;
        var packet = new byte[60 + payloadLength];
        int headerLength = Ipv4Header.Write(packet, new IPv4Address(model.Source), new IPv4Address(model.Destination), model.Protocol, payloadLength,
            model.Ttl, model.Tos, model.Identification, model.DontFragment, model.MoreFragments, fragmentOffset, options);
        var span = packet.AsSpan(0, headerLength + payloadLength);
        return Ipv4Header.TryRead(span, out var ip)
            && ip.HeaderLength == 20 + optionLength && ip.Options.SequenceEqual(options)
            && ip.Source.Value == model.Source && ip.Destination.Value == model.Destination
            && ip.Protocol == model.Protocol && ip.TimeToLive == model.Ttl && ip.TypeOfService == model.Tos
            && ip.Identification == model.Identification && ip.DontFragment == model.DontFragment
            && ip.MoreFragments == model.MoreFragments && ip.FragmentOffset == fragmentOffset
            && ip.IsFragment == (model.MoreFragments || fragmentOffset != 0)
            && ip.TotalLength == span.Length && ip.Payload.Length == payloadLength && !ip.IsTruncated
            && ip.IsChecksumValid;
    }

    [Fact]
    public void Ipv4_payload_stops_at_total_length_and_ignores_ethernet_padding()
    {
        var packet = new byte[46];
        Ipv4Header.Write(packet, IPv4Address.Parse("192.0.2.1"), IPv4Address.Parse("192.0.2.2"), IpProtocol.Udp, 8);
        Assert.True(Ipv4Header.TryRead(packet, out var ip));
        Assert.Equal(8, ip.Payload.Length);
        Assert.False(Ipv4Header.TryRead(packet.AsSpan(0, 19), out _));
        packet[0] = 0x44; // IHL 4 is below the minimum
        Assert.False(Ipv4Header.TryRead(packet, out _));
    }

    public record Ipv6Model(ulong SourceUpper, ulong SourceLower, ulong DestinationUpper, ulong DestinationLower, byte TrafficClass, uint FlowLabel,
        byte HopLimit, byte UpperProtocol, bool HopByHop, bool Routing, bool DestinationOptions, bool Fragment, ushort FragmentUnits, bool More, uint Identification);

    [Property(MaxTest = 300)]
    public bool Ipv6_fields_and_extension_header_walk_round_trip(Ipv6Model model)
    {
        // The upper protocol must not itself be an extension header number for the walk to end there.
        byte upper = model.UpperProtocol is IpProtocol.HopByHop or IpProtocol.Routing or IpProtocol.Fragment
            or IpProtocol.DestinationOptions or IpProtocol.AuthenticationHeader ? IpProtocol.Udp : model.UpperProtocol;
        var chain = new List<(byte Type, byte[] Bytes)>();
        if (model.HopByHop) chain.Add((IpProtocol.HopByHop, new byte[8]));
        if (model.Routing) chain.Add((IpProtocol.Routing, new byte[24]));
        int fragmentOffset = model.FragmentUnits % 0x2000 * 8;
        if (model.Fragment)
        {
            var fragment = new byte[8];
            BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(2), (ushort)(fragmentOffset | (model.More ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(fragment.AsSpan(4), model.Identification);
            chain.Add((IpProtocol.Fragment, fragment));
        }
        if (model.DestinationOptions) chain.Add((IpProtocol.DestinationOptions, new byte[16]));
        var extensions = new List<byte>();
        for (int i = 0; i < chain.Count; i++)
        {
            var bytes = chain[i].Bytes;
            bytes[0] = i + 1 < chain.Count ? chain[i + 1].Type : upper;
            if (chain[i].Type != IpProtocol.Fragment) bytes[1] = (byte)(bytes.Length / 8 - 1);
            extensions.AddRange(bytes);
        }
        var packet = new byte[40 + extensions.Count + 8];
        var source = new IPv6Address(model.SourceUpper, model.SourceLower);
        var destination = new IPv6Address(model.DestinationUpper, model.DestinationLower);
        Ipv6Header.Write(packet, source, destination, chain.Count > 0 ? chain[0].Type : upper, extensions.Count + 8, model.HopLimit, model.TrafficClass, model.FlowLabel);
        extensions.CopyTo(packet, 40);
        if (!Ipv6Header.TryRead(packet, out var ip)) return false;
        bool walked = ip.TryWalkExtensions(out var walk);
        bool laterFragment = model.Fragment && fragmentOffset != 0;
        int fragmentEnd = 40 + chain.TakeWhile(c => c.Type != IpProtocol.Fragment).Sum(c => c.Bytes.Length) + 8;
        return ip.Source == source && ip.Destination == destination && ip.TrafficClass == model.TrafficClass
            && ip.FlowLabel == (model.FlowLabel & 0xFFFFF) && ip.HopLimit == model.HopLimit && ip.PayloadLength == extensions.Count + 8
            && walked && walk.Complete && walk.IsFragment == model.Fragment
            && (laterFragment
                ? walk.UpperLayerOffset == fragmentEnd
                : walk.UpperLayerProtocol == upper && walk.UpperLayerOffset == 40 + extensions.Count)
            && (!model.Fragment || walk.FragmentOffset == fragmentOffset && walk.MoreFragments == model.More && walk.Identification == model.Identification);
    }

    [Fact]
    public void Ipv6_walk_reports_an_extension_header_that_runs_past_the_packet()
    {
        var packet = new byte[48];
        Ipv6Header.Write(packet, IPv6Address.Parse("2001:db8::1"), IPv6Address.Parse("2001:db8::2"), IpProtocol.HopByHop, 8);
        packet[40] = IpProtocol.Udp;
        packet[41] = 3; // claims 32 bytes, only 8 present
        Assert.True(Ipv6Header.TryRead(packet, out var ip));
        Assert.False(ip.TryWalkExtensions(out var walk));
        Assert.False(walk.Complete);
        Assert.Equal(IpProtocol.HopByHop, walk.UpperLayerProtocol);
    }

    public record UdpModel(ushort SourcePort, ushort DestinationPort, byte[] Payload, uint Source, uint Destination);

    [Property]
    public bool Udp_fields_round_trip_with_a_valid_checksum(UdpModel model)
    {
        var frame = new byte[42 + model.Payload.Length];
        var mac = new MacAddress(2);
        IpFrames.WriteUdp(frame, mac, mac, new IPv4Address(model.Source), new IPv4Address(model.Destination), model.SourcePort, model.DestinationPort, model.Payload);
        return EthernetHeader.TryRead(frame, out var ethernet) && Ipv4Header.TryRead(ethernet.Payload, out var ip)
            && UdpHeader.TryRead(ip.Payload, out var udp)
            && udp.SourcePort == model.SourcePort && udp.DestinationPort == model.DestinationPort
            && udp.Payload.SequenceEqual(model.Payload) && udp.DatagramLength == 8 + model.Payload.Length && udp.Checksum != 0
            && Checksum.Fold(Checksum.Sum(udp.Bytes, Checksum.PseudoHeaderSum(ip.Source, ip.Destination, IpProtocol.Udp, udp.Bytes.Length))) == 0xFFFF;
    }

    public record TcpModel(ushort SourcePort, ushort DestinationPort, uint Sequence, uint Acknowledgment, ushort Flags, ushort Window, ushort Mss, byte[] Payload,
        ulong SourceUpper, ulong SourceLower, ulong DestinationUpper, ulong DestinationLower);

    [Property]
    public bool Tcp_fields_and_options_round_trip_over_IPv6_with_a_valid_checksum(TcpModel model)
    {
        var options = new byte[8];
        options[0] = TcpHeader.OptionNop; options[1] = TcpHeader.OptionNop;
        options[2] = 8; options[3] = 2; // an unknown 2-byte option the walk must step over
        options[4] = TcpHeader.OptionMss; options[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(options.AsSpan(6), model.Mss);
        var frame = new byte[14 + 40 + 28 + model.Payload.Length];
        var source = new IPv6Address(model.SourceUpper, model.SourceLower);
        var destination = new IPv6Address(model.DestinationUpper, model.DestinationLower);
        var flags = (TcpFlags)(model.Flags & 0x1FF);
        IpFrames.WriteTcp(frame, new MacAddress(1), new MacAddress(2), source, destination, model.SourcePort, model.DestinationPort,
            model.Sequence, model.Acknowledgment, flags, model.Window, model.Payload, options);
        if (!EthernetHeader.TryRead(frame, out var ethernet) || !Ipv6Header.TryRead(ethernet.Payload, out var ip) || !TcpHeader.TryRead(ip.Payload, out var tcp))
            return false;
        return tcp.SourcePort == model.SourcePort && tcp.DestinationPort == model.DestinationPort
            && tcp.SequenceNumber == model.Sequence && tcp.AcknowledgmentNumber == model.Acknowledgment
            && tcp.Flags == flags && tcp.Window == model.Window && tcp.HeaderLength == 28
            && tcp.TryGetMaximumSegmentSize(out ushort mss) && mss == model.Mss
            && tcp.Payload.SequenceEqual(model.Payload)
            && Checksum.Fold(Checksum.Sum(ip.Payload, Checksum.PseudoHeaderSum(source, destination, IpProtocol.Tcp, ip.Payload.Length))) == 0xFFFF;
    }

    [Fact]
    public void Tcp_option_walk_stops_at_a_malformed_option_instead_of_skipping_past_the_header()
    {
        var segment = new byte[24];
        TcpHeader.Write(segment, 1, 2, 3, 4, TcpFlags.Syn, 100, options: new byte[] { 8, 0, TcpHeader.OptionMss, 4 });
        Assert.True(TcpHeader.TryRead(segment, out var tcp));
        Assert.False(tcp.TryGetMaximumSegmentSize(out _));
        segment[21] = 200; // option length far past the header
        Assert.True(TcpHeader.TryRead(segment, out tcp));
        Assert.False(tcp.TryGetOption(TcpHeader.OptionMss, out _));
    }

    public record IcmpModel(byte Type, byte Code, uint Rest, byte[] Body);

    [Property]
    public bool Icmpv4_fields_round_trip_with_a_valid_checksum(IcmpModel model)
    {
        var message = new byte[8 + model.Body.Length];
        IcmpV4Header.Write(message, model.Type, model.Code, model.Rest);
        model.Body.CopyTo(message, 8);
        IcmpV4Header.SetChecksum(message);
        return IcmpV4Header.TryRead(message, out var icmp) && icmp.Type == model.Type && icmp.Code == model.Code
            && icmp.RestOfHeader == model.Rest && icmp.Identifier == (ushort)(model.Rest >> 16) && icmp.SequenceNumber == (ushort)model.Rest
            && icmp.Body.SequenceEqual(model.Body) && icmp.IsChecksumValid;
    }

    public record NeighborModel(bool Advertisement, ulong TargetUpper, ulong TargetLower, ulong LinkLayer, bool Router, bool Solicited, bool Override, bool WithOption);

    [Property]
    public bool Icmpv6_neighbor_messages_round_trip_target_flags_and_link_layer_option(NeighborModel model)
    {
        var message = new byte[32];
        byte type = model.Advertisement ? IcmpV6Header.TypeNeighborAdvertisement : IcmpV6Header.TypeNeighborSolicitation;
        uint flags = model.Advertisement ? (model.Router ? 0x8000_0000u : 0) | (model.Solicited ? 0x4000_0000u : 0) | (model.Override ? 0x2000_0000u : 0) : 0;
        IcmpV6Header.Write(message, type, 0, flags);
        var target = new IPv6Address(model.TargetUpper, model.TargetLower);
        target.Write(message.AsSpan(8));
        message[24] = model.Advertisement ? IcmpV6Header.OptionTargetLinkLayerAddress : IcmpV6Header.OptionSourceLinkLayerAddress;
        message[25] = 1;
        new MacAddress(model.LinkLayer).Write(message.AsSpan(26));
        var span = model.WithOption ? message : message.AsSpan(0, 24).ToArray();
        var source = IPv6Address.Parse("fe80::1");
        IcmpV6Header.SetChecksum(span, source, target.SolicitedNodeMulticast);
        if (!IcmpV6Header.TryRead(span, out var icmp)) return false;
        bool hasOption = icmp.TryGetLinkLayerAddress(out var lla);
        return icmp.Type == type && icmp.TargetAddress == target && icmp.IsNeighborDiscovery
            && icmp.RouterFlag == (model.Advertisement && model.Router) && icmp.SolicitedFlag == (model.Advertisement && model.Solicited)
            && icmp.OverrideFlag == (model.Advertisement && model.Override)
            && hasOption == model.WithOption && (!hasOption || lla == new MacAddress(model.LinkLayer))
            && Checksum.Fold(Checksum.Sum(span, Checksum.PseudoHeaderSum(source, target.SolicitedNodeMulticast, IpProtocol.IcmpV6, span.Length))) == 0xFFFF;
    }

    [Fact]
    public void Neighbor_option_with_zero_length_ends_the_walk()
    {
        var message = new byte[40];
        IcmpV6Header.Write(message, IcmpV6Header.TypeNeighborSolicitation, 0, 0);
        message[24] = 5; message[25] = 0; // zero length: RFC 4861 says discard
        message[32] = IcmpV6Header.OptionSourceLinkLayerAddress; message[33] = 1;
        Assert.True(IcmpV6Header.TryRead(message, out var icmp));
        Assert.False(icmp.TryGetLinkLayerAddress(out _));
    }
}
