using FsCheck;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Datapath.Tests.Support;

namespace NetFabric.Datapath.Tests.Protocols;

/// Every parser, fed arbitrary bytes, mutated frames and every truncation of valid frames, returns
/// without exception, and every span it hands out lies inside its input.
public class ParserRobustnessTests
{
    /// Runs every read view over <paramref name="bytes"/> at every plausible starting layer, touching every
    /// property, and checks that each returned span is a slice of the input.
    internal static void ParseEverything(ReadOnlySpan<byte> bytes)
    {
        FlowKey.Extract(bytes, 1, out var key);
        Assert.InRange((int)key.Layers, 0, 3);

        if (EthernetHeader.TryRead(bytes, out var ethernet))
        {
            Assert.True(ethernet.HeaderLength + ethernet.Payload.Length == bytes.Length);
            _ = (ethernet.Source, ethernet.Destination, ethernet.VlanTci, ethernet.OuterVlanTci, ethernet.EtherType);
            ParseNetwork(ethernet.Payload);
        }
        ParseNetwork(bytes);
        ParseTransport(bytes);

        Span<byte> reply = stackalloc byte[1600];
        if (IcmpFrames.TryWriteEchoReply(reply, bytes, new MacAddress(1), out int written)) Assert.InRange(written, 14, reply.Length);
        if (IcmpFrames.TryWriteIpv4Error(reply, bytes, new MacAddress(1), new IPv4Address(1), 11, 0, 0, out written)) Assert.InRange(written, 14, 14 + 4 + 576);
        if (IcmpFrames.TryWriteIpv6Error(reply, bytes, new MacAddress(1), new IPv6Address(1, 1), 3, 0, 0, out written)) Assert.InRange(written, 14, 14 + 4 + 1280);
        if (ArpFrames.TryWriteReplyTo(reply, bytes, new MacAddress(1), out written)) Assert.InRange(written, 42, 46);
    }

    private static void ParseNetwork(ReadOnlySpan<byte> bytes)
    {
        if (Ipv4Header.TryRead(bytes, out var ip4))
        {
            Assert.True(ip4.HeaderLength + ip4.Payload.Length <= bytes.Length);
            _ = (ip4.Source, ip4.Destination, ip4.Options.Length, ip4.IsChecksumValid, ip4.FragmentOffset, ip4.IsTruncated, ip4.TotalLength);
            ParseTransport(ip4.Payload);
        }
        if (Ipv6Header.TryRead(bytes, out var ip6))
        {
            Assert.True(Ipv6Header.Length + ip6.Payload.Length <= bytes.Length);
            _ = (ip6.Source, ip6.Destination, ip6.FlowLabel, ip6.TrafficClass, ip6.IsTruncated);
            ip6.TryWalkExtensions(out var walk);
            Assert.InRange(walk.UpperLayerOffset, Ipv6Header.Length, bytes.Length);
            if (walk.Complete) ParseTransport(bytes.Slice(walk.UpperLayerOffset));
        }
        if (ArpPacket.TryRead(bytes, out var arp))
            _ = (arp.Operation, arp.SenderHardwareAddress, arp.SenderProtocolAddress, arp.TargetHardwareAddress, arp.TargetProtocolAddress);
    }

    private static void ParseTransport(ReadOnlySpan<byte> bytes)
    {
        if (UdpHeader.TryRead(bytes, out var udp))
        {
            Assert.True(udp.Bytes.Length <= bytes.Length && udp.Payload.Length == udp.Bytes.Length - 8);
            _ = (udp.SourcePort, udp.DestinationPort, udp.Checksum, udp.IsTruncated);
        }
        if (TcpHeader.TryRead(bytes, out var tcp))
        {
            Assert.True(tcp.HeaderLength + tcp.Payload.Length == bytes.Length);
            for (byte kind = 0; kind < 10; kind++)
                if (tcp.TryGetOption(kind, out var value)) Assert.True(value.Length <= tcp.Options.Length);
            tcp.TryGetMaximumSegmentSize(out _);
            _ = (tcp.Flags, tcp.SequenceNumber, tcp.AcknowledgmentNumber, tcp.Window, tcp.UrgentPointer);
        }
        if (IcmpV4Header.TryRead(bytes, out var icmp))
            _ = (icmp.Type, icmp.Code, icmp.IsChecksumValid, icmp.IsError, icmp.Body.Length, icmp.Identifier);
        if (IcmpV6Header.TryRead(bytes, out var icmp6))
        {
            icmp6.TryGetLinkLayerAddress(out _);
            _ = (icmp6.TargetAddress, icmp6.RouterFlag, icmp6.SolicitedFlag, icmp6.OverrideFlag, icmp6.Body.Length);
        }
    }

    [Property(MaxTest = 1000)]
    public void Every_parser_survives_arbitrary_bytes(byte[] bytes) => ParseEverything(bytes);

    /// Arbitrary bytes rarely get past the first header, so also start from headers that announce
    /// each protocol and fill the rest at random.
    [Property(MaxTest = 1000)]
    public void Every_parser_survives_random_bytes_behind_plausible_headers(byte[] tail, byte selector, byte lengthByte)
    {
        var frame = new byte[14 + tail.Length];
        tail.CopyTo(frame, 14);
        ushort[] types = { EtherType.IPv4, EtherType.IPv6, EtherType.Arp, EtherType.Vlan, EtherType.QinQ };
        ushort type = types[selector % types.Length];
        frame[12] = (byte)(type >> 8);
        frame[13] = (byte)type;
        if (tail.Length > 0)
            frame[14] = type == EtherType.IPv4 ? (byte)(0x40 | (lengthByte & 0x0F)) : type == EtherType.IPv6 ? (byte)0x60 : frame[14];
        ParseEverything(frame);
    }

    [Property(MaxTest = 200)]
    public Property Every_parser_survives_every_truncation_and_single_byte_mutation_of_valid_frames() =>
        Prop.ForAll(FrameModel.Arbitrary(), ArbMap.Default.ArbFor<(int, byte)>(), (model, mutation) =>
        {
            var frame = model.Build();
            for (int length = 0; length <= frame.Length; length++)
                ParseEverything(frame.AsSpan(0, length));
            var mutated = (byte[])frame.Clone();
            mutated[(mutation.Item1 & int.MaxValue) % mutated.Length] = mutation.Item2;
            ParseEverything(mutated);
        });
}
