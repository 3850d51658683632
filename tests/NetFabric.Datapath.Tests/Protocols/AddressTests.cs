using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Protocols;

public class AddressTests
{
    [Property]
    public bool Mac_address_formats_and_parses_back_to_the_same_value(ulong value)
    {
        var mac = new MacAddress(value);
        return MacAddress.Parse(mac.ToString()) == mac && mac.Value == (value & 0xFFFF_FFFF_FFFF);
    }

    [Property]
    public bool Mac_address_writes_and_reads_back_in_network_order(ulong value)
    {
        var mac = new MacAddress(value);
        var bytes = new byte[6];
        mac.Write(bytes);
        return MacAddress.Read(bytes) == mac && bytes[0] == (byte)(mac.Value >> 40);
    }

    [Property]
    public bool IPv4_address_formats_and_parses_back_to_the_same_value(uint value) =>
        IPv4Address.Parse(new IPv4Address(value).ToString()).Value == value;

    [Property]
    public bool IPv4_address_text_agrees_with_System_Net(uint value) =>
        new IPv4Address(value).ToString() == new System.Net.IPAddress(new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value }).ToString();

    [Property]
    public bool IPv6_address_formats_and_parses_back_to_the_same_value(ulong upper, ulong lower)
    {
        var address = new IPv6Address(upper, lower);
        return IPv6Address.Parse(address.ToString()) == address;
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("256.1.1.1")]
    [InlineData("1..2.3")]
    [InlineData("a.b.c.d")]
    [InlineData("1.2.3.4 ")]
    public void IPv4_address_rejects_malformed_text(string text) => Assert.False(IPv4Address.TryParse(text, out _));

    [Theory]
    [InlineData("")]
    [InlineData("00:11:22:33:44")]
    [InlineData("00:11:22:33:44:5g")]
    [InlineData("00:11-22:33:44:55")]
    [InlineData("001122334455")]
    public void Mac_address_rejects_malformed_text(string text) => Assert.False(MacAddress.TryParse(text, out _));

    [Fact]
    public void Parse_errors_name_the_text_and_the_kind()
    {
        var error = Assert.Throws<FormatException>(() => IPv4Prefix.Parse("198.18.0.0/33"));
        Assert.Contains("198.18.0.0/33", error.Message);
        Assert.Contains("IPv4 prefix", error.Message);
    }

    [Property]
    public bool IPv4_prefix_contains_exactly_the_addresses_sharing_its_leading_bits(uint network, uint probe, byte rawLength)
    {
        int length = rawLength % 33;
        var prefix = new IPv4Prefix(new IPv4Address(network), length);
        bool expected = length == 0 || (network >> (32 - length)) == (probe >> (32 - length));
        return prefix.Contains(new IPv4Address(probe)) == expected
            && IPv4Prefix.Parse(prefix.ToString()) == prefix
            && prefix.Contains(prefix.Network) && prefix.Contains(prefix.BroadcastAddress);
    }

    [Property]
    public bool IPv6_prefix_contains_exactly_the_addresses_sharing_its_leading_bits(ulong upper, ulong lower, ulong probeUpper, ulong probeLower, byte rawLength)
    {
        int length = rawLength % 129;
        var prefix = new IPv6Prefix(new IPv6Address(upper, lower), length);
        var a = (System.Numerics.BigInteger)upper << 64 | lower;
        var b = (System.Numerics.BigInteger)probeUpper << 64 | probeLower;
        bool expected = length == 0 || (a >> (128 - length)) == (b >> (128 - length));
        return prefix.Contains(new IPv6Address(probeUpper, probeLower)) == expected
            && IPv6Prefix.Parse(prefix.ToString()) == prefix
            && prefix.Contains(prefix.Network);
    }

    [Fact]
    public void Prefix_overlap_is_symmetric_and_follows_containment()
    {
        var wide = IPv4Prefix.Parse("198.18.0.0/15");
        var narrow = IPv4Prefix.Parse("198.19.4.0/24");
        var other = IPv4Prefix.Parse("192.0.2.0/24");
        Assert.True(wide.Overlaps(narrow));
        Assert.True(narrow.Overlaps(wide));
        Assert.False(wide.Overlaps(other));
        Assert.Equal("2001:db8::/32", IPv6Prefix.Parse("2001:db8::/32").ToString());
    }

    [Fact]
    public void Solicited_node_multicast_keeps_the_low_24_bits()
    {
        var address = IPv6Address.Parse("2001:db8::1234:5678");
        Assert.Equal(IPv6Address.Parse("ff02::1:ff34:5678"), address.SolicitedNodeMulticast);
    }
}
