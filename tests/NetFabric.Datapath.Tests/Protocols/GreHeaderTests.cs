using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Protocols;

internal sealed record GreModel(ushort ProtocolType, uint? Key, uint? Sequence, bool Checksum, byte[] Payload)
{
    public static readonly Gen<GreModel> Gen =
        from protocolType in TunnelModels.UInt16
        from key in TunnelModels.Optional(TunnelModels.UInt32)
        from sequence in TunnelModels.Optional(TunnelModels.UInt32)
        from checksum in FsCheck.Fluent.Gen.Elements(true, false)
        from payload in TunnelModels.Bytes(0, 101)
        select new GreModel(protocolType, key, sequence, checksum, payload);

    public int HeaderLength => 4 + (Checksum ? 4 : 0) + (Key.HasValue ? 4 : 0) + (Sequence.HasValue ? 4 : 0);

    public byte[] Build()
    {
        var bytes = new byte[HeaderLength + Payload.Length];
        Assert.Equal(HeaderLength, GreHeader.Write(bytes, ProtocolType, Key, Sequence, Checksum));
        Payload.CopyTo(bytes, HeaderLength);
        if (Checksum) GreHeader.SetChecksum(bytes);
        return bytes;
    }
}

public class GreHeaderTests
{
    [Property]
    public Property Write_then_read_returns_every_flag_and_field() =>
        Prop.ForAll(Arb.From(GreModel.Gen), m =>
        {
            var bytes = m.Build();
            Assert.True(GreHeader.TryRead(bytes, out var header));
            Assert.Equal(m.HeaderLength, header.HeaderLength);
            Assert.Equal(m.Checksum, header.HasChecksum);
            Assert.Equal(m.Key.HasValue, header.HasKey);
            Assert.Equal(m.Sequence.HasValue, header.HasSequence);
            Assert.Equal(m.ProtocolType, header.ProtocolType);
            Assert.Equal(m.Key ?? 0, header.Key);
            Assert.Equal(m.Sequence ?? 0, header.SequenceNumber);
            Assert.Equal(0, header.Flags & 0x0FFF); // reserved0 and version 0
            Assert.Equal(m.Payload, header.Payload.ToArray());
            Assert.True(header.IsChecksumValid);
        });

    [Property]
    public Property The_checksum_is_valid_after_write_and_catches_any_flipped_bit() =>
        Prop.ForAll(Arb.From(
            from m in GreModel.Gen.Where(m => m.Checksum)
            from position in Gen.Choose(0, 10_000)
            from bit in Gen.Choose(0, 7)
            select (m, position, bit)), c =>
        {
            var bytes = c.m.Build();
            Assert.True(Checksum.IsValid(bytes));
            Assert.True(GreHeader.TryRead(bytes, out var header));
            Assert.True(header.IsChecksumValid);
            Assert.Equal(Checksum.Compute(WithZeroChecksum(bytes)), header.Checksum);

            // A single flipped bit moves the one's-complement sum by ±2^k, which is never 0 mod 0xFFFF.
            bytes[c.position % bytes.Length] ^= (byte)(1 << c.bit);
            Assert.False(Checksum.IsValid(bytes));
        });

    private static byte[] WithZeroChecksum(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        copy[4] = 0;
        copy[5] = 0;
        return copy;
    }

    [Property]
    public Property Every_truncation_reads_only_when_the_flagged_fields_fit() =>
        Prop.ForAll(Arb.From(GreModel.Gen), m =>
        {
            var bytes = m.Build();
            for (int length = 0; length <= bytes.Length; length++)
            {
                bool read = GreHeader.TryRead(bytes.AsSpan(0, length), out var header);
                Assert.Equal(length >= m.HeaderLength, read);
                if (read)
                {
                    Assert.Equal(m.Key ?? 0, header.Key);
                    Assert.Equal(length - m.HeaderLength, header.Payload.Length);
                }
            }
        });

    [Property]
    public Property Reading_arbitrary_bytes_never_throws_and_stays_inside_them(byte[] bytes)
    {
        if (!GreHeader.TryRead(bytes, out var header)) return true.ToProperty();
        Assert.InRange(header.HeaderLength, GreHeader.MinimumLength, Math.Min(GreHeader.MaximumLength, bytes.Length));
        Assert.Equal(GreHeader.GetHeaderLength(header.HasChecksum, header.HasKey, header.HasSequence), header.HeaderLength);
        TunnelModels.AssertInside(bytes, header.Payload);
        _ = (header.Key, header.SequenceNumber, header.Checksum, header.IsChecksumValid);
        return (header.Flags & 0x4C07).Equals(0).ToProperty();
    }

    [Fact]
    public void Read_rejects_other_versions_and_the_rfc_1701_routing_bits()
    {
        byte[] bytes = [0x00, 0x00, 0x65, 0x58, 1, 2, 3, 4];
        Assert.True(GreHeader.TryRead(bytes, out _));
        foreach (ushort flags in new ushort[] { 0x0001, 0x0004, 0x4000, 0x0800, 0x0400 })
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes, flags);
            Assert.False(GreHeader.TryRead(bytes, out _));
        }
        // Reserved0 bits 6-12 are ignored on receipt (RFC 2784 §2.3).
        BinaryPrimitives.WriteUInt16BigEndian(bytes, 0x03F8);
        Assert.True(GreHeader.TryRead(bytes, out var header));
        Assert.Equal(4, header.HeaderLength);
    }

    [Fact]
    public void Known_bytes_read_as_rfc_2890_lays_them_out()
    {
        byte[] bytes = [0xB0, 0x00, 0x65, 0x58, 0xAB, 0xCD, 0, 0, 0, 0, 0, 42, 0, 0, 0, 7, 0xEE];
        Assert.True(GreHeader.TryRead(bytes, out var header));
        Assert.Equal(16, header.HeaderLength);
        Assert.Equal(0xABCD, header.Checksum);
        Assert.Equal(42u, header.Key);
        Assert.Equal(7u, header.SequenceNumber);
        Assert.Equal(new byte[] { 0xEE }, header.Payload.ToArray());
    }

    [Fact]
    public void Writers_reject_a_short_destination_and_a_header_without_checksum()
    {
        Assert.Throws<ArgumentException>(() => GreHeader.Write(new byte[15], 0x6558, 1, 2, true));
        var noChecksum = new byte[20];
        GreHeader.Write(noChecksum, 0x6558, key: 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => GreHeader.SetChecksum(noChecksum));
    }
}
