using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Protocols;

/// <summary>An inner Ethernet frame: addresses, EtherType and payload; IPv4/UDP inner frames carry real headers.</summary>
internal sealed record InnerFrameModel(ulong Destination, ulong Source, ushort EtherType, byte[] Payload)
{
    public byte[] Build()
    {
        var frame = new byte[EthernetHeader.Length + Payload.Length];
        EthernetHeader.Write(frame, new MacAddress(Destination), new MacAddress(Source), EtherType);
        Payload.CopyTo(frame, EthernetHeader.Length);
        return frame;
    }
}

/// <summary>The outer endpoints shared by every tunnel model.</summary>
internal sealed record OuterModel(ulong SourceMac, ulong DestinationMac, uint Source, uint Destination, ushort SourcePort)
{
    public MacAddress SourceMacAddress => new(SourceMac);
    public MacAddress DestinationMacAddress => new(DestinationMac);
    public IPv4Address SourceAddress => new(Source);
    public IPv4Address DestinationAddress => new(Destination);
    public IPv6Address SourceV6 => new(0x2001_0db8_0000_0001UL, Source);
    public IPv6Address DestinationV6 => new(0x2001_0db8_0000_0002UL, Destination);
}

internal sealed record VxlanModel(InnerFrameModel Inner, OuterModel Outer, uint Vni);

internal sealed record GeneveCaseModel(InnerFrameModel Inner, OuterModel Outer, uint Vni, GeneveOptionModel[] Options)
{
    public byte[] EncodeOptions() => GeneveOptionModel.Encode(Options);
    public bool AnyCritical => Options.Any(o => o.IsCritical);
}

internal sealed record GreCaseModel(InnerFrameModel Inner, OuterModel Outer, uint? Key, uint? Sequence, bool Checksum);

/// <summary>Generators and assertions shared by the protocol tests of tunnels.</summary>
internal static class TunnelModels
{
    public static readonly Gen<byte> Byte = Gen.Choose(0, 255).Select(b => (byte)b);
    public static readonly Gen<ushort> UInt16 = Gen.Choose(0, ushort.MaxValue).Select(w => (ushort)w);
    public static readonly Gen<uint> UInt32 = Gen.Zip(UInt16, UInt16, (high, low) => ((uint)high << 16) | low);
    public static readonly Gen<ulong> Mac = Gen.Zip(UInt16, UInt32, (high, low) => ((ulong)high << 32) | low);
    public static readonly Gen<uint> Vni = UInt32.Select(v => v & 0xFF_FFFF);

    public static Gen<byte[]> Bytes(int min, int max) => Gen.Choose(min, max).SelectMany(n => Byte.ArrayOf(n));

    public static Gen<uint?> Optional(Gen<uint> gen) =>
        Gen.Frequency((1, Gen.Constant<uint?>(null)), (2, gen.Select(v => (uint?)v)));

    /// <summary>Inner frames: raw EtherTypes with random payloads, and IPv4/UDP frames with real headers.</summary>
    public static readonly Gen<InnerFrameModel> Inner = Gen.OneOf(
        from destination in Mac
        from source in Mac
        from etherType in Gen.Elements((ushort)0x88B5, EtherType.IPv6, EtherType.Arp)
        from payload in Bytes(0, 300)
        select new InnerFrameModel(destination, source, etherType, payload),
        from destination in Mac
        from source in Mac
        from ipSource in UInt32
        from ipDestination in UInt32
        from ports in UInt32
        from data in Bytes(0, 200)
        select new InnerFrameModel(destination, source, EtherType.IPv4, Ipv4Udp(ipSource, ipDestination, ports, data)));

    public static byte[] Ipv4Udp(uint source, uint destination, uint ports, byte[] data)
    {
        var packet = new byte[Ipv4Header.MinimumLength + UdpHeader.Length + data.Length];
        Ipv4Header.Write(packet, new IPv4Address(source), new IPv4Address(destination), IpProtocol.Udp, UdpHeader.Length + data.Length);
        UdpHeader.Write(packet.AsSpan(Ipv4Header.MinimumLength), (ushort)(ports >> 16), (ushort)ports, data.Length);
        data.CopyTo(packet, Ipv4Header.MinimumLength + UdpHeader.Length);
        return packet;
    }

    public static readonly Gen<OuterModel> Outer =
        from sourceMac in Mac
        from destinationMac in Mac
        from source in UInt32
        from destination in UInt32
        from port in Gen.Frequency((1, Gen.Constant((ushort)0)), (1, UInt16))
        select new OuterModel(sourceMac, destinationMac, source, destination, port);

    public static readonly Gen<VxlanModel> Vxlan =
        from inner in Inner
        from outer in Outer
        from vni in Vni
        select new VxlanModel(inner, outer, vni);

    public static readonly Gen<GeneveCaseModel> Geneve =
        from inner in Inner
        from outer in Outer
        from vni in Vni
        from options in GeneveOptionModel.List
        select new GeneveCaseModel(inner, outer, vni, options);

    public static readonly Gen<GreCaseModel> Gre =
        from inner in Inner
        from outer in Outer
        from key in Optional(UInt32)
        from sequence in Optional(UInt32)
        from checksum in Gen.Elements(true, false)
        select new GreCaseModel(inner, outer, key, sequence, checksum);

    public static byte[] Build(VxlanModel m)
    {
        var inner = m.Inner.Build();
        var frame = new byte[TunnelFrames.VxlanIpv4Overhead + inner.Length];
        int length = TunnelFrames.WriteVxlan(frame, inner, m.Outer.SourceMacAddress, m.Outer.DestinationMacAddress,
            m.Outer.SourceAddress, m.Outer.DestinationAddress, m.Vni, m.Outer.SourcePort);
        Assert.Equal(frame.Length, length);
        return frame;
    }

    public static byte[] Build(GeneveCaseModel m)
    {
        var inner = m.Inner.Build();
        var options = m.EncodeOptions();
        var frame = new byte[TunnelFrames.VxlanIpv4Overhead + options.Length + inner.Length];
        int length = TunnelFrames.WriteGeneve(frame, inner, m.Outer.SourceMacAddress, m.Outer.DestinationMacAddress,
            m.Outer.SourceAddress, m.Outer.DestinationAddress, m.Vni, options, m.Outer.SourcePort);
        Assert.Equal(frame.Length, length);
        return frame;
    }

    public static byte[] Build(GreCaseModel m)
    {
        var inner = m.Inner.Build();
        var frame = new byte[EthernetHeader.Length + Ipv4Header.MinimumLength + GreHeader.GetHeaderLength(m.Checksum, m.Key.HasValue, m.Sequence.HasValue) + inner.Length];
        int length = TunnelFrames.WriteGre(frame, inner, m.Outer.SourceMacAddress, m.Outer.DestinationMacAddress,
            m.Outer.SourceAddress, m.Outer.DestinationAddress, m.Key, m.Sequence, m.Checksum);
        Assert.Equal(frame.Length, length);
        return frame;
    }

    /// <summary>A frame of any of the three kinds that <see cref="TunnelFrames.TryDecapsulate(ReadOnlySpan{byte}, out TunnelMetadata, out int)"/> accepts.</summary>
    public static readonly Gen<byte[]> AnyTunnelFrame = Gen.OneOf(Vxlan.Select(Build), Geneve.Where(m => !m.AnyCritical).Select(Build), Gre.Select(Build));

    /// <summary>Fails unless <paramref name="inner"/> lies entirely inside <paramref name="outer"/> (or is empty).</summary>
    public static void AssertInside(ReadOnlySpan<byte> outer, ReadOnlySpan<byte> inner)
    {
        if (inner.IsEmpty) return;
        Assert.True(outer.Overlaps(inner, out int offset), "The span does not lie inside the input.");
        Assert.InRange(offset, 0, outer.Length - inner.Length);
    }

    /// <summary>True when the UDP datagram's checksum verifies against its IPv4 pseudo-header.</summary>
    public static bool UdpChecksumValid(ReadOnlySpan<byte> datagram, IPv4Address source, IPv4Address destination) =>
        Checksum.Fold(Checksum.Sum(datagram, Checksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, datagram.Length))) == 0xFFFF;
}

public class TunnelFramesTests
{
    [Property]
    public Property Vxlan_encapsulate_then_decapsulate_returns_the_original_frame() =>
        Prop.ForAll(Arb.From(TunnelModels.Vxlan), m =>
        {
            var inner = m.Inner.Build();
            var frame = TunnelModels.Build(m);

            Assert.True(TunnelFrames.TryDecapsulate(frame, out TunnelKind kind, out var tunnel, out int offset, out int length));
            Assert.Equal(TunnelKind.Vxlan, kind);
            Assert.Equal(new TunnelMetadata(m.Vni, m.Outer.SourceAddress, m.Outer.DestinationAddress), tunnel);
            Assert.Equal(inner, frame.AsSpan(offset, length).ToArray());
            Assert.True(TunnelFrames.TryDecapsulate(frame, out var tunnel2, out int offset2));
            Assert.Equal((tunnel, offset), (tunnel2, offset2));
        });

    [Property]
    public Property Vxlan_outer_headers_carry_valid_checksums_df_ttl_and_the_vxlan_port() =>
        Prop.ForAll(Arb.From(TunnelModels.Vxlan), m =>
        {
            var inner = m.Inner.Build();
            var frame = TunnelModels.Build(m);

            Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
            Assert.Equal(m.Outer.DestinationMacAddress, ethernet.Destination);
            Assert.Equal(m.Outer.SourceMacAddress, ethernet.Source);
            Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
            Assert.True(ip.IsChecksumValid);
            Assert.True(ip.DontFragment);
            Assert.Equal(64, ip.TimeToLive);
            Assert.Equal(IpProtocol.Udp, ip.Protocol);
            Assert.True(UdpHeader.TryRead(ip.Payload, out var udp));
            Assert.Equal(VxlanHeader.UdpPort, udp.DestinationPort);
            Assert.True(TunnelModels.UdpChecksumValid(udp.Bytes, ip.Source, ip.Destination));
            ushort expectedPort = m.Outer.SourcePort != 0 ? m.Outer.SourcePort : TunnelFrames.EntropySourcePort(inner);
            Assert.Equal(expectedPort, udp.SourcePort);
        });

    [Property]
    public Property Vxlan_over_ipv6_decapsulates_with_the_vni_and_zero_endpoints() =>
        Prop.ForAll(Arb.From(TunnelModels.Vxlan), m =>
        {
            var inner = m.Inner.Build();
            var frame = new byte[TunnelFrames.VxlanIpv6Overhead + inner.Length];
            int written = TunnelFrames.WriteVxlan(frame, inner, m.Outer.SourceMacAddress, m.Outer.DestinationMacAddress,
                m.Outer.SourceV6, m.Outer.DestinationV6, m.Vni, m.Outer.SourcePort);
            Assert.Equal(frame.Length, written);

            Assert.True(TunnelFrames.TryDecapsulate(frame, out TunnelKind kind, out var tunnel, out int offset, out int length));
            Assert.Equal(TunnelKind.Vxlan, kind);
            Assert.Equal(new TunnelMetadata(m.Vni, default, default), tunnel);
            Assert.Equal(inner, frame.AsSpan(offset, length).ToArray());

            Assert.True(Ipv6Header.TryRead(frame.AsSpan(EthernetHeader.Length), out var ip));
            Assert.Equal(64, ip.HopLimit);
            Assert.Equal(m.Outer.SourceV6, ip.Source);
            var datagram = ip.Payload;
            ulong pseudo = Checksum.PseudoHeaderSum(ip.Source, ip.Destination, IpProtocol.Udp, datagram.Length);
            Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(datagram, pseudo)));
        });

    [Property]
    public Property Geneve_encapsulate_then_decapsulate_returns_the_original_frame_unless_an_option_is_critical() =>
        Prop.ForAll(Arb.From(TunnelModels.Geneve), m =>
        {
            var inner = m.Inner.Build();
            var frame = TunnelModels.Build(m);

            Assert.True(Ipv4Header.TryRead(frame.AsSpan(EthernetHeader.Length), out var ip));
            Assert.True(ip.IsChecksumValid);
            Assert.True(UdpHeader.TryRead(ip.Payload, out var udp));
            Assert.Equal(GeneveHeader.UdpPort, udp.DestinationPort);
            Assert.True(TunnelModels.UdpChecksumValid(udp.Bytes, ip.Source, ip.Destination));

            bool decapsulated = TunnelFrames.TryDecapsulate(frame, out TunnelKind kind, out var tunnel, out int offset, out int length);
            // NetFabric knows no critical option, so RFC 8926 §3.5 makes it drop every frame that has one.
            Assert.Equal(!m.AnyCritical, decapsulated);
            if (!decapsulated) return;
            Assert.Equal(TunnelKind.Geneve, kind);
            Assert.Equal(new TunnelMetadata(m.Vni, m.Outer.SourceAddress, m.Outer.DestinationAddress), tunnel);
            Assert.Equal(inner, frame.AsSpan(offset, length).ToArray());
        });

    [Property]
    public Property Gre_encapsulate_then_decapsulate_returns_the_original_frame_and_key() =>
        Prop.ForAll(Arb.From(TunnelModels.Gre), m =>
        {
            var inner = m.Inner.Build();
            var frame = TunnelModels.Build(m);

            Assert.True(TunnelFrames.TryDecapsulate(frame, out TunnelKind kind, out var tunnel, out int offset, out int length));
            Assert.Equal(TunnelKind.Gre, kind);
            Assert.Equal(new TunnelMetadata(m.Key ?? 0, m.Outer.SourceAddress, m.Outer.DestinationAddress), tunnel);
            Assert.Equal(inner, frame.AsSpan(offset, length).ToArray());
        });

    [Property]
    public Property Gre_frames_carry_valid_ipv4_and_gre_checksums() =>
        Prop.ForAll(Arb.From(TunnelModels.Gre), m =>
        {
            var frame = TunnelModels.Build(m);
            Assert.True(Ipv4Header.TryRead(frame.AsSpan(EthernetHeader.Length), out var ip));
            Assert.True(ip.IsChecksumValid);
            Assert.True(ip.DontFragment);
            Assert.Equal(IpProtocol.Gre, ip.Protocol);
            Assert.True(GreHeader.TryRead(ip.Payload, out var gre));
            Assert.Equal(m.Checksum, gre.HasChecksum);
            Assert.Equal(EtherType.TransparentEthernetBridging, gre.ProtocolType);
            Assert.Equal(m.Sequence ?? 0, gre.SequenceNumber);
            if (m.Checksum) Assert.True(Checksum.IsValid(ip.Payload));
        });

    [Property]
    public Property Every_truncation_of_a_tunnel_frame_is_refused_without_reading_past_it() =>
        Prop.ForAll(Arb.From(TunnelModels.AnyTunnelFrame), frame =>
        {
            Assert.True(TunnelFrames.TryDecapsulate(frame, out _, out _));
            for (int length = 0; length < frame.Length; length++)
            {
                // A cut frame's IP header announces more than is there: the inner frame would be incomplete.
                Assert.False(TunnelFrames.TryDecapsulate(frame.AsSpan(0, length), out var kind, out var tunnel, out int offset, out int innerLength));
                Assert.Equal((TunnelKind.None, TunnelMetadata.None, 0, 0), (kind, tunnel, offset, innerLength));
            }
        });

    [Property]
    public Property Decapsulating_arbitrary_bytes_never_throws_and_stays_inside_them() =>
        Prop.ForAll(Arb.From(TunnelModels.Bytes(0, 200)), bytes => AssertDecapsulationInBounds(bytes));

    [Property(MaxTest = 300)]
    public Property Decapsulating_corrupted_tunnel_frames_never_throws_and_stays_inside_them() =>
        Prop.ForAll(Arb.From(
            from frame in TunnelModels.AnyTunnelFrame
            from position in Gen.Choose(0, 1000)
            from value in TunnelModels.Byte
            from cut in Gen.Choose(0, 1000)
            select (frame, position, value, cut)), c =>
        {
            var frame = c.frame;
            // Corrupt one header byte (the first 90 hold every outer and tunnel header field) and maybe cut the tail.
            frame[c.position % Math.Min(frame.Length, 90)] = c.value;
            int length = c.cut % 3 == 0 ? frame.Length - c.cut % (frame.Length + 1) : frame.Length;
            AssertDecapsulationInBounds(frame.AsSpan(0, length));
        });

    private static void AssertDecapsulationInBounds(ReadOnlySpan<byte> frame)
    {
        if (TunnelFrames.TryDecapsulate(frame, out TunnelKind kind, out _, out int offset, out int length))
        {
            Assert.NotEqual(TunnelKind.None, kind);
            Assert.InRange(offset, 0, frame.Length);
            Assert.InRange(length, EthernetHeader.Length, frame.Length - offset);
        }
        else
        {
            Assert.Equal(TunnelKind.None, kind);
        }
    }

    [Property]
    public Property Entropy_source_port_lies_in_the_dynamic_range_and_ignores_the_inner_payload() =>
        Prop.ForAll(Arb.From(
            from inner in TunnelModels.Inner
            from other in TunnelModels.Bytes(0, 200)
            select (inner, other)), c =>
        {
            ushort port = TunnelFrames.EntropySourcePort(c.inner.Build());
            Assert.InRange(port, (ushort)49152, ushort.MaxValue);
            if (c.inner.EtherType != EtherType.IPv4) return;
            // Same flow (addresses, ports), different data: RFC 7348 §5 wants one path per flow.
            var ip = c.inner.Payload;
            var sameFlow = TunnelModels.Ipv4Udp(BinaryPrimitives.ReadUInt32BigEndian(ip.AsSpan(12)), BinaryPrimitives.ReadUInt32BigEndian(ip.AsSpan(16)),
                BinaryPrimitives.ReadUInt32BigEndian(ip.AsSpan(20)), c.other);
            Assert.Equal(port, TunnelFrames.EntropySourcePort((c.inner with { Payload = sameFlow }).Build()));
        });

    [Fact]
    public void Entropy_source_port_differs_between_flows()
    {
        var ports = new HashSet<ushort>();
        for (uint source = 0; source < 64; source++)
        {
            var frame = new InnerFrameModel(1, 2, EtherType.IPv4, TunnelModels.Ipv4Udp(0x0A00_0000 + source, 0x0A00_00FF, 0x1234_0035, [])).Build();
            ports.Add(TunnelFrames.EntropySourcePort(frame));
        }
        Assert.True(ports.Count > 48, $"Only {ports.Count} distinct ports for 64 flows.");
    }

    [Fact]
    public void Encapsulation_works_in_place_when_the_inner_frame_sits_after_the_headroom()
    {
        var inner = new InnerFrameModel(0x0200_0000_0001, 0x0200_0000_0002, 0x88B5, [1, 2, 3, 4, 5]).Build();
        var buffer = new byte[TunnelFrames.VxlanIpv4Overhead + inner.Length];
        inner.CopyTo(buffer, TunnelFrames.VxlanIpv4Overhead);

        TunnelFrames.WriteVxlan(buffer, buffer.AsSpan(TunnelFrames.VxlanIpv4Overhead), new MacAddress(1), new MacAddress(2),
            new IPv4Address(10, 0, 0, 1), new IPv4Address(10, 0, 0, 2), 42, 0);

        Assert.True(TunnelFrames.TryDecapsulate(buffer, out var tunnel, out int offset));
        Assert.Equal(42ul, tunnel.Id);
        Assert.Equal(inner, buffer.AsSpan(offset).ToArray());
    }

    [Fact]
    public void Decapsulation_skips_vlan_tags_on_the_outer_frame()
    {
        var inner = new InnerFrameModel(0x0200_0000_0001, 0x0200_0000_0002, 0x88B5, new byte[40]).Build();
        var untagged = new byte[TunnelFrames.VxlanIpv4Overhead + inner.Length];
        TunnelFrames.WriteVxlan(untagged, inner, new MacAddress(1), new MacAddress(2), new IPv4Address(10, 0, 0, 1), new IPv4Address(10, 0, 0, 2), 7, 0);
        var tagged = new byte[untagged.Length + EthernetHeader.VlanTagLength];
        untagged.AsSpan(0, 12).CopyTo(tagged);
        BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(12), EtherType.Vlan);
        BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(14), 100);
        untagged.AsSpan(12).CopyTo(tagged.AsSpan(16));

        Assert.True(TunnelFrames.TryDecapsulate(tagged, out var tunnel, out int offset));
        Assert.Equal(7ul, tunnel.Id);
        Assert.Equal(TunnelFrames.VxlanIpv4Overhead + EthernetHeader.VlanTagLength, offset);
        Assert.Equal(inner, tagged.AsSpan(offset).ToArray());
    }

    [Fact]
    public void Gre_over_ipv6_decapsulates_with_the_key_and_zero_endpoints()
    {
        var inner = new InnerFrameModel(0x0200_0000_0001, 0x0200_0000_0002, 0x88B5, new byte[20]).Build();
        int greLength = GreHeader.GetHeaderLength(false, true, false);
        var frame = new byte[EthernetHeader.Length + Ipv6Header.Length + greLength + inner.Length];
        EthernetHeader.Write(frame, new MacAddress(1), new MacAddress(2), EtherType.IPv6);
        Ipv6Header.Write(frame.AsSpan(EthernetHeader.Length), new IPv6Address(1, 1), new IPv6Address(1, 2), IpProtocol.Gre, greLength + inner.Length);
        GreHeader.Write(frame.AsSpan(EthernetHeader.Length + Ipv6Header.Length), EtherType.TransparentEthernetBridging, key: 0xDEAD_BEEF);
        inner.CopyTo(frame, frame.Length - inner.Length);

        Assert.True(TunnelFrames.TryDecapsulate(frame, out TunnelKind kind, out var tunnel, out int offset, out int length));
        Assert.Equal(TunnelKind.Gre, kind);
        Assert.Equal(new TunnelMetadata(0xDEAD_BEEF, default, default), tunnel);
        Assert.Equal(inner, frame.AsSpan(offset, length).ToArray());
    }

    [Fact]
    public void Geneve_control_messages_and_non_ethernet_payloads_are_not_decapsulated()
    {
        var inner = new InnerFrameModel(0x0200_0000_0001, 0x0200_0000_0002, 0x88B5, new byte[20]).Build();
        var frame = new byte[TunnelFrames.VxlanIpv4Overhead + inner.Length];
        TunnelFrames.WriteGeneve(frame, inner, new MacAddress(1), new MacAddress(2), new IPv4Address(10, 0, 0, 1), new IPv4Address(10, 0, 0, 2), 9, [], 0);
        const int geneveOffset = EthernetHeader.Length + Ipv4Header.MinimumLength + UdpHeader.Length;
        Assert.True(TunnelFrames.TryDecapsulate(frame, out _, out _));

        var control = (byte[])frame.Clone();
        control[geneveOffset + 1] |= GeneveHeader.ControlFlag;
        Assert.False(TunnelFrames.TryDecapsulate(control, out _, out _));

        var ipv4Payload = (byte[])frame.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(ipv4Payload.AsSpan(geneveOffset + 2), EtherType.IPv4);
        Assert.False(TunnelFrames.TryDecapsulate(ipv4Payload, out _, out _));
    }

    [Fact]
    public void Udp_to_other_ports_and_fragments_are_not_tunnels()
    {
        var inner = new InnerFrameModel(0x0200_0000_0001, 0x0200_0000_0002, 0x88B5, new byte[20]).Build();
        var frame = new byte[TunnelFrames.VxlanIpv4Overhead + inner.Length];
        TunnelFrames.WriteVxlan(frame, inner, new MacAddress(1), new MacAddress(2), new IPv4Address(10, 0, 0, 1), new IPv4Address(10, 0, 0, 2), 9, 0);

        var otherPort = (byte[])frame.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(otherPort.AsSpan(EthernetHeader.Length + Ipv4Header.MinimumLength + 2), 53);
        Assert.False(TunnelFrames.TryDecapsulate(otherPort, out TunnelKind kind, out _, out _, out _));
        Assert.Equal(TunnelKind.None, kind);

        var fragment = (byte[])frame.Clone();
        fragment[EthernetHeader.Length + 6] |= 0x20; // more fragments
        Assert.False(TunnelFrames.TryDecapsulate(fragment, out _, out _));
    }

    [Fact]
    public void Writers_throw_when_the_destination_is_too_short_or_the_vni_too_wide()
    {
        var inner = new byte[60];
        Assert.Throws<ArgumentException>(() => TunnelFrames.WriteVxlan(new byte[TunnelFrames.VxlanIpv4Overhead + 59], inner,
            default, default, IPv4Address.Any, IPv4Address.Any, 1, 0));
        Assert.Throws<ArgumentException>(() => TunnelFrames.WriteVxlan(new byte[TunnelFrames.VxlanIpv6Overhead + 59], inner,
            default, default, IPv6Address.Any, IPv6Address.Any, 1, 0));
        Assert.Throws<ArgumentException>(() => TunnelFrames.WriteGre(new byte[80], inner, default, default, IPv4Address.Any, IPv4Address.Any, 1, 2, true));
        Assert.Throws<ArgumentException>(() => TunnelFrames.WriteGeneve(new byte[109], inner, default, default, IPv4Address.Any, IPv4Address.Any, 1, [], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelFrames.WriteVxlan(new byte[200], inner,
            default, default, IPv4Address.Any, IPv4Address.Any, 0x100_0000, 0));
    }
}
