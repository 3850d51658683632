using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Datapath.Tests.Protocols;
using NetFabric.Datapath.Tests.Support;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Actions;

internal enum TemplateKind { VxlanIpv4, VxlanIpv6, Geneve, Gre }

/// <summary>A tunnel template and the inner frame it carries.</summary>
internal sealed record TunnelCase(TemplateKind Kind, OuterModel Outer, uint Vni, GeneveOptionModel[] Options, uint? Key, bool GreChecksum, FrameModel Inner, uint FlowHash)
{
    public TunnelTemplate Template() => Kind switch
    {
        TemplateKind.VxlanIpv4 => TunnelTemplate.Vxlan(Outer.SourceMacAddress, Outer.DestinationMacAddress, Outer.SourceAddress, Outer.DestinationAddress, Vni),
        TemplateKind.VxlanIpv6 => TunnelTemplate.Vxlan(Outer.SourceMacAddress, Outer.DestinationMacAddress, Outer.SourceV6, Outer.DestinationV6, Vni),
        TemplateKind.Geneve => TunnelTemplate.Geneve(Outer.SourceMacAddress, Outer.DestinationMacAddress, Outer.SourceAddress, Outer.DestinationAddress, Vni,
            GeneveOptionModel.Encode(Options)),
        _ => TunnelTemplate.Gre(Outer.SourceMacAddress, Outer.DestinationMacAddress, Outer.SourceAddress, Outer.DestinationAddress, Key, GreChecksum),
    };

    /// <summary>The frame the <see cref="TunnelFrames"/> writers produce for the same tunnel and source port.</summary>
    public byte[] Reference(byte[] inner, ushort sourcePort)
    {
        var frame = new byte[400 + inner.Length];
        var options = GeneveOptionModel.Encode(Options);
        int length = Kind switch
        {
            TemplateKind.VxlanIpv4 => TunnelFrames.WriteVxlan(frame, inner, Outer.SourceMacAddress, Outer.DestinationMacAddress, Outer.SourceAddress, Outer.DestinationAddress, Vni, sourcePort),
            TemplateKind.VxlanIpv6 => TunnelFrames.WriteVxlan(frame, inner, Outer.SourceMacAddress, Outer.DestinationMacAddress, Outer.SourceV6, Outer.DestinationV6, Vni, sourcePort),
            TemplateKind.Geneve => TunnelFrames.WriteGeneve(frame, inner, Outer.SourceMacAddress, Outer.DestinationMacAddress, Outer.SourceAddress, Outer.DestinationAddress, Vni, options, sourcePort),
            _ => TunnelFrames.WriteGre(frame, inner, Outer.SourceMacAddress, Outer.DestinationMacAddress, Outer.SourceAddress, Outer.DestinationAddress, Key, null, GreChecksum),
        };
        frame = frame[..length];
        // The writers compute the UDP checksum over IPv4; the action leaves it 0, as RFC 7348 §5 allows.
        if (Kind is TemplateKind.VxlanIpv4 or TemplateKind.Geneve) frame.AsSpan(14 + 20 + 6, 2).Clear();
        return frame;
    }

    public TunnelMetadata Metadata => Kind switch
    {
        TemplateKind.VxlanIpv6 => new TunnelMetadata(Vni, default, default),
        TemplateKind.Gre => new TunnelMetadata(Key ?? 0, Outer.SourceAddress, Outer.DestinationAddress),
        _ => new TunnelMetadata(Vni, Outer.SourceAddress, Outer.DestinationAddress),
    };

    public static readonly Gen<TunnelCase> Gen =
        from kind in FsCheck.Fluent.Gen.Elements(TemplateKind.VxlanIpv4, TemplateKind.VxlanIpv6, TemplateKind.Geneve, TemplateKind.Gre)
        from outer in TunnelModels.Outer
        from vni in TunnelModels.Vni
        from options in GeneveOptionModel.List.Select(list => list.Where(o => !o.IsCritical).ToArray())
        from key in TunnelModels.Optional(TunnelModels.UInt32)
        from checksum in FsCheck.Fluent.Gen.Elements(true, false)
        from inner in FrameModel.Arbitrary().Generator
        from flowHash in FsCheck.Fluent.Gen.Frequency((1, FsCheck.Fluent.Gen.Constant(0u)), (1, TunnelModels.UInt32))
        select new TunnelCase(kind, outer, vni, options, key, checksum, inner, flowHash);
}

public class TunnelActionTests
{
    // Geneve with five 28-byte options needs 50 + 160 bytes in front of the frame.
    private const int Headroom = 256;

    [Property(MaxTest = 500)]
    public Property Encapsulate_then_decapsulate_returns_the_original_frame_with_the_tunnel_metadata() =>
        Prop.ForAll(Arb.From(TunnelCase.Gen), c =>
        {
            var inner = c.Inner.Build();
            var template = c.Template();
            var encapsulated = Assert.Single(ActionRunner.Run(ActionProgram.CreateBuilder().Encapsulate(template).Output(1).Build(), inner,
                headroom: Headroom, flowHash: c.FlowHash).Outputs).Frame;
            Assert.Equal(inner.Length + template.Length, encapsulated.Length);

            // It decodes, its checksums verify, and it is the writers' frame byte for byte.
            Assert.True(TunnelFrames.TryDecapsulate(encapsulated, out TunnelKind kind, out var tunnel, out int offset, out int length));
            Assert.Equal(template.Kind, kind);
            Assert.Equal(c.Metadata, tunnel);
            Assert.Equal(inner, encapsulated.AsSpan(offset, length).ToArray());
            AssertOuterChecksums(encapsulated, c.Kind);
            ushort sourcePort = c.Kind == TemplateKind.Gre ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(encapsulated.AsSpan(offset - (c.Kind == TemplateKind.Geneve ? 8 + GeneveOptionModel.Encode(c.Options).Length : 8) - 8));
            if (c.Kind != TemplateKind.Gre)
            {
                Assert.InRange(sourcePort, TunnelFrames.MinimumEntropyPort, ushort.MaxValue);
                if (c.FlowHash == 0) Assert.Equal(TunnelFrames.EntropySourcePort(inner), sourcePort);
            }
            Assert.Equal(Convert.ToHexString(c.Reference(inner, sourcePort)), Convert.ToHexString(encapsulated));

            var decapsulated = Assert.Single(ActionRunner.Run(ActionProgram.CreateBuilder().Decapsulate().Output(2).Build(), encapsulated).Outputs);
            Assert.Equal(inner, decapsulated.Frame);
            Assert.Equal(c.Metadata, decapsulated.Tunnel);

            // Both in one program: the headers are located again after each.
            var roundTrip = Assert.Single(ActionRunner.Run(
                ActionProgram.CreateBuilder().Encapsulate(template).Decapsulate().Output(3).Build(), inner, headroom: Headroom).Outputs);
            Assert.Equal(inner, roundTrip.Frame);
        });

    private static void AssertOuterChecksums(byte[] frame, TemplateKind kind)
    {
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        if (kind == TemplateKind.VxlanIpv6)
        {
            Assert.True(Ipv6Header.TryRead(ethernet.Payload, out var ip6));
            Assert.False(ip6.IsTruncated);
            Assert.True(UdpHeader.TryRead(ip6.Payload, out var udp6));
            Assert.NotEqual(0, udp6.Checksum);
            Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(udp6.Bytes, Checksum.PseudoHeaderSum(ip6.Source, ip6.Destination, IpProtocol.Udp, udp6.Bytes.Length))));
            return;
        }
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.False(ip.IsTruncated);
        Assert.True(ip.IsChecksumValid);
        if (kind == TemplateKind.Gre)
        {
            Assert.True(GreHeader.TryRead(ip.Payload, out var gre));
            Assert.True(gre.IsChecksumValid);
        }
        else
        {
            Assert.True(UdpHeader.TryRead(ip.Payload, out var udp));
            Assert.Equal(0, udp.Checksum);
        }
    }

    [Fact]
    public void The_source_port_follows_the_flow_hash_when_there_is_one()
    {
        var template = TunnelTemplate.Vxlan(new MacAddress(1), new MacAddress(2), new IPv4Address(10), new IPv4Address(20), 42);
        var program = ActionProgram.CreateBuilder().Encapsulate(template).Output(1).Build();
        var inner = ActionProgramTests.Ipv4Udp();
        ushort Port(uint hash) => BinaryPrimitives.ReadUInt16BigEndian(Assert.Single(ActionRunner.Run(program, inner, flowHash: hash).Outputs).Frame.AsSpan(34));
        Assert.Equal(Port(0x1234_5678), Port(0x1234_5678));
        Assert.NotEqual(Port(0x1234_5678), Port(0x1234_5679));
        Assert.Equal(TunnelFrames.EntropySourcePort(inner), Port(0));
    }

    [Fact]
    public void Encapsulate_without_headroom_drops_with_NoHeadroom()
    {
        var template = TunnelTemplate.Vxlan(new MacAddress(1), new MacAddress(2), IPv6Address.Parse("2001:db8::1"), IPv6Address.Parse("2001:db8::2"), 42);
        Assert.Equal(70, template.Length);
        var sink = ActionRunner.Run(ActionProgram.CreateBuilder().Encapsulate(template).Output(1).Build(), ActionProgramTests.Ipv4Udp(), headroom: 69);
        Assert.Equal([DropReason.NoHeadroom], sink.Drops);
    }

    [Fact]
    public void Decapsulate_on_a_frame_that_is_not_a_tunnel_drops_as_malformed()
    {
        var sink = ActionRunner.Run(ActionProgram.CreateBuilder().Decapsulate().Output(1).Build(), ActionProgramTests.Ipv4Udp());
        Assert.Equal([DropReason.Malformed], sink.Drops);
    }

    [Fact]
    public void Encapsulated_inner_headers_are_not_touched_by_later_set_fields_on_the_outer_frame()
    {
        var template = TunnelTemplate.Gre(new MacAddress(1), new MacAddress(2), new IPv4Address(10), new IPv4Address(20), key: 7, checksum: true);
        var inner = ActionProgramTests.Ipv4Udp();
        var program = ActionProgram.CreateBuilder().Encapsulate(template).DecrementTtl().SetIpv4Source(new IPv4Address(11)).Output(1).Build();
        var frame = Assert.Single(ActionRunner.Run(program, inner).Outputs).Frame;
        Assert.True(TunnelFrames.TryDecapsulate(frame, out var tunnel, out int offset));
        Assert.Equal(new TunnelMetadata(7, new IPv4Address(11), new IPv4Address(20)), tunnel);
        Assert.Equal(inner, frame.AsSpan(offset).ToArray());
        Assert.True(Ipv4Header.TryRead(frame.AsSpan(14), out var ip));
        Assert.Equal(TunnelFrames.TimeToLive - 1, ip.TimeToLive);
        Assert.True(ip.IsChecksumValid);
    }
}
