using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Protocols;

/// <summary>One Geneve option; <see cref="Data"/> may have any length up to 124 (the writer pads it).</summary>
internal sealed record GeneveOptionModel(ushort Class, byte Type, byte[] Data)
{
    public bool IsCritical => (Type & GeneveOption.CriticalTypeBit) != 0;

    public byte[] PaddedData
    {
        get
        {
            var padded = new byte[(Data.Length + 3) & ~3];
            Data.CopyTo(padded, 0);
            return padded;
        }
    }

    public static byte[] Encode(GeneveOptionModel[] options)
    {
        var bytes = new byte[options.Sum(o => GeneveHeader.OptionLength(o.Data.Length))];
        int offset = 0;
        foreach (var option in options)
            offset += GeneveHeader.WriteOption(bytes.AsSpan(offset), option.Class, option.Type, option.Data);
        Assert.Equal(bytes.Length, offset);
        return bytes;
    }

    /// <summary>Up to five options of up to 28 data bytes: at most 160 bytes, inside the 252-byte limit.</summary>
    public static readonly Gen<GeneveOptionModel[]> List =
        Gen.Choose(0, 5).SelectMany(count => Gen.ArrayOf(
            from optionClass in TunnelModels.UInt16
            from type in Gen.Frequency((4, Gen.Choose(0, 127)), (1, Gen.Choose(128, 255))).Select(t => (byte)t)
            from data in TunnelModels.Bytes(0, 28)
            select new GeneveOptionModel(optionClass, type, data), count));
}

internal sealed record GeneveModel(uint Vni, bool Control, ushort ProtocolType, GeneveOptionModel[] Options, byte[] Payload)
{
    public static readonly Gen<GeneveModel> Gen =
        from vni in TunnelModels.Vni
        from control in FsCheck.Fluent.Gen.Elements(true, false)
        from protocolType in TunnelModels.UInt16
        from options in GeneveOptionModel.List
        from payload in TunnelModels.Bytes(0, 64)
        select new GeneveModel(vni, control, protocolType, options, payload);

    public byte[] Build()
    {
        var options = GeneveOptionModel.Encode(Options);
        var bytes = new byte[GeneveHeader.Length + options.Length + Payload.Length];
        int length = GeneveHeader.Write(bytes, Vni, options, ProtocolType, Control);
        Assert.Equal(GeneveHeader.Length + options.Length, length);
        Payload.CopyTo(bytes, length);
        return bytes;
    }
}

public class GeneveHeaderTests
{
    [Property]
    public Property Write_then_read_returns_every_field_and_option() =>
        Prop.ForAll(Arb.From(GeneveModel.Gen), m =>
        {
            var bytes = m.Build();
            Assert.True(GeneveHeader.TryRead(bytes, out var header));
            Assert.Equal(0, header.Version);
            Assert.Equal(m.Vni, header.Vni);
            Assert.Equal(m.Control, header.IsControl);
            Assert.Equal(m.ProtocolType, header.ProtocolType);
            Assert.Equal(bytes.Length - m.Payload.Length, header.HeaderLength);
            Assert.Equal(m.Payload, header.Payload.ToArray());

            bool anyCritical = m.Options.Any(o => o.IsCritical);
            Assert.Equal(anyCritical, header.IsCriticalFlagSet);
            Assert.Equal(anyCritical, header.HasCriticalOptions);

            int index = 0;
            var walk = header.Options;
            foreach (var option in walk)
            {
                var expected = m.Options[index++];
                Assert.Equal(expected.Class, option.Class);
                Assert.Equal(expected.Type, option.Type);
                Assert.Equal(expected.IsCritical, option.IsCritical);
                Assert.Equal(expected.PaddedData, option.Data.ToArray());
            }
            Assert.Equal(m.Options.Length, index);
        });

    [Property]
    public Property Every_truncation_of_a_header_reads_only_when_the_options_fit() =>
        Prop.ForAll(Arb.From(GeneveModel.Gen), m =>
        {
            var bytes = m.Build();
            Assert.True(GeneveHeader.TryRead(bytes, out var full));
            int headerLength = full.HeaderLength;
            for (int length = 0; length <= bytes.Length; length++)
            {
                var prefix = bytes.AsSpan(0, length);
                bool read = GeneveHeader.TryRead(prefix, out var header);
                Assert.Equal(length >= headerLength, read);
                if (read) Assert.Equal(length - headerLength, header.Payload.Length);
            }
        });

    [Property]
    public Property Reading_arbitrary_bytes_never_throws_and_every_option_lies_inside_them() =>
        Prop.ForAll(Arb.From(
            from optionWords in Gen.Choose(0, 63)
            from body in TunnelModels.Bytes(0, 300)
            select Prepend((byte)optionWords, body)), bytes =>
        {
            if (!GeneveHeader.TryRead(bytes, out var header)) return;
            Assert.InRange(header.HeaderLength, GeneveHeader.Length, bytes.Length);
            TunnelModels.AssertInside(bytes, header.OptionBytes);
            _ = header.HasCriticalOptions;
            int total = 0;
            var walk = header.Options;
            while (walk.MoveNext())
            {
                var option = walk.Current;
                TunnelModels.AssertInside(header.OptionBytes, option.Data);
                Assert.Equal(option.Length - GeneveOption.HeaderLength, option.Data.Length);
                total += option.Length;
            }
            Assert.InRange(total, 0, header.OptionsLength);
            Assert.Equal(total != header.OptionsLength, walk.IsMalformed);
        });

    // The first byte carries version 0 and a random option length so most inputs get past the version check.
    private static byte[] Prepend(byte first, byte[] body)
    {
        var bytes = new byte[body.Length + 1];
        bytes[0] = first;
        body.CopyTo(bytes, 1);
        return bytes;
    }

    [Property]
    public Property Option_walk_over_arbitrary_bytes_terminates_inside_them(byte[] bytes)
    {
        var walk = new GeneveOptionEnumerator(bytes);
        int count = 0;
        while (walk.MoveNext())
        {
            TunnelModels.AssertInside(bytes, walk.Current.Data);
            count++;
        }
        return (count <= bytes.Length / GeneveOption.HeaderLength).ToProperty();
    }

    [Fact]
    public void Read_rejects_versions_other_than_zero()
    {
        var bytes = new GeneveModel(1, false, EtherType.TransparentEthernetBridging, [], []).Build();
        Assert.True(GeneveHeader.TryRead(bytes, out _));
        for (int version = 1; version < 4; version++)
        {
            bytes[0] = (byte)(version << 6);
            Assert.False(GeneveHeader.TryRead(bytes, out _));
        }
    }

    [Fact]
    public void A_malformed_option_list_counts_as_critical()
    {
        // One word of options holding an option header that claims 4 more bytes of data.
        byte[] bytes = [0x01, 0x00, 0x65, 0x58, 0, 0, 1, 0, 0x01, 0x02, 0x03, 0x01];
        Assert.True(GeneveHeader.TryRead(bytes, out var header));
        Assert.False(header.IsCriticalFlagSet);
        var walk = header.Options;
        Assert.False(walk.MoveNext());
        Assert.True(walk.IsMalformed);
        Assert.True(header.HasCriticalOptions);
    }

    [Fact]
    public void Known_bytes_read_as_rfc_8926_lays_them_out()
    {
        byte[] bytes = [0x02, 0xC0, 0x65, 0x58, 0x12, 0x34, 0x56, 0x00, 0x01, 0x02, 0x83, 0x01, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE];
        Assert.True(GeneveHeader.TryRead(bytes, out var header));
        Assert.Equal(16, header.HeaderLength);
        Assert.True(header.IsControl);
        Assert.True(header.IsCriticalFlagSet);
        Assert.Equal(0x6558, header.ProtocolType);
        Assert.Equal(0x123456u, header.Vni);
        Assert.Equal(new byte[] { 0xEE }, header.Payload.ToArray());
        var walk = header.Options;
        Assert.True(walk.MoveNext());
        Assert.Equal(0x0102, walk.Current.Class);
        Assert.Equal(0x83, walk.Current.Type);
        Assert.True(walk.Current.IsCritical);
        Assert.Equal(new byte[] { 0xAA, 0xBB, 0xCC, 0xDD }, walk.Current.Data.ToArray());
        Assert.False(walk.MoveNext());
        Assert.False(walk.IsMalformed);
    }

    [Fact]
    public void Writers_reject_bad_arguments()
    {
        var buffer = new byte[400];
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneveHeader.Write(buffer, 0x100_0000, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneveHeader.Write(buffer, 1, new byte[6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneveHeader.Write(buffer, 1, new byte[256]));
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneveHeader.Write(buffer, 1, [0, 1, 2, 0x05]));
        Assert.Throws<ArgumentException>(() => GeneveHeader.Write(new byte[11], 1, new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => GeneveHeader.WriteOption(buffer, 1, 2, new byte[125]));
        Assert.Throws<ArgumentException>(() => GeneveHeader.WriteOption(new byte[7], 1, 2, new byte[1]));
    }
}
