using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Protocols;

public class VxlanHeaderTests
{
    [Property]
    public Property Write_then_read_returns_the_vni_and_the_inner_frame() =>
        Prop.ForAll(Arb.From(
            from vni in TunnelModels.Vni
            from payload in TunnelModels.Bytes(0, 100)
            select (vni, payload)), c =>
        {
            var bytes = new byte[VxlanHeader.Length + c.payload.Length];
            Assert.Equal(VxlanHeader.Length, VxlanHeader.Write(bytes, c.vni));
            c.payload.CopyTo(bytes, VxlanHeader.Length);

            Assert.True(VxlanHeader.TryRead(bytes, out var header));
            Assert.Equal(c.vni, header.Vni);
            Assert.Equal(VxlanHeader.ValidVniFlag, header.Flags);
            Assert.Equal(c.payload, header.Payload.ToArray());
            // RFC 7348 §5: every reserved bit is sent as zero.
            Assert.Equal(new byte[] { 0, 0, 0 }, bytes.AsSpan(1, 3).ToArray());
            Assert.Equal(0, bytes[7]);
        });

    [Property]
    public Property Every_truncation_below_eight_bytes_is_refused() =>
        Prop.ForAll(Arb.From(TunnelModels.Vni), vni =>
        {
            var bytes = new byte[VxlanHeader.Length];
            VxlanHeader.Write(bytes, vni);
            for (int length = 0; length < VxlanHeader.Length; length++)
                Assert.False(VxlanHeader.TryRead(bytes.AsSpan(0, length), out _));
            Assert.True(VxlanHeader.TryRead(bytes, out var header));
            Assert.True(header.Payload.IsEmpty);
        });

    [Property]
    public Property Reading_arbitrary_bytes_never_throws_and_accepts_exactly_long_headers_with_the_I_flag(byte[] bytes)
    {
        bool read = VxlanHeader.TryRead(bytes, out var header);
        bool expected = bytes.Length >= VxlanHeader.Length && (bytes[0] & VxlanHeader.ValidVniFlag) != 0;
        if (read)
        {
            Assert.InRange(header.Vni, 0u, VxlanHeader.MaximumVni);
            TunnelModels.AssertInside(bytes, header.Payload);
            Assert.Equal(bytes.Length - VxlanHeader.Length, header.Payload.Length);
        }
        return (read == expected).ToProperty();
    }

    [Fact]
    public void Known_bytes_read_as_rfc_7348_lays_them_out()
    {
        byte[] bytes = [0x08, 0x00, 0x00, 0x00, 0xAB, 0xCD, 0xEF, 0x00, 0x42];
        Assert.True(VxlanHeader.TryRead(bytes, out var header));
        Assert.Equal(0xABCDEFu, header.Vni);
        Assert.Equal(new byte[] { 0x42 }, header.Payload.ToArray());

        bytes[0] = 0xF7; // every flag but I
        Assert.False(VxlanHeader.TryRead(bytes, out _));
    }

    [Fact]
    public void Write_rejects_a_vni_wider_than_24_bits_and_a_short_destination()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VxlanHeader.Write(new byte[8], 0x100_0000));
        Assert.Throws<ArgumentException>(() => VxlanHeader.Write(new byte[7], 1));
    }
}
