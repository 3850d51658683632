using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Protocols;

internal sealed record DhcpExtraOption(byte Code, byte[] Value);

/// <summary>A DHCP message: every fixed field, the well-known options, extra options and leading Pad bytes.</summary>
internal sealed record DhcpModel(byte Op, uint Xid, ulong Mac, uint Ciaddr, uint Yiaddr, uint Siaddr, uint Giaddr, bool Broadcast,
    DhcpMessageType Type, uint? LeaseTime, uint? ServerId, uint[] Routers, byte[] HostName, DhcpExtraOption[] Extra, int Pads)
{
    public static readonly Gen<DhcpModel> Gen =
        from op in FsCheck.Fluent.Gen.Elements(DhcpMessage.BootRequest, DhcpMessage.BootReply)
        from xid in TunnelModels.UInt32
        from mac in TunnelModels.Mac
        from ciaddr in Address
        from yiaddr in Address
        from siaddr in Address
        from giaddr in Address
        from broadcast in FsCheck.Fluent.Gen.Elements(true, false)
        from type in FsCheck.Fluent.Gen.Choose(0, 8).Select(t => (DhcpMessageType)t)
        from lease in TunnelModels.Optional(TunnelModels.UInt32)
        from serverId in TunnelModels.Optional(TunnelModels.UInt32)
        from routers in FsCheck.Fluent.Gen.Choose(0, 3).SelectMany(n => TunnelModels.UInt32.ArrayOf(n))
        from hostName in TunnelModels.Bytes(0, 20)
        from extra in FsCheck.Fluent.Gen.Choose(0, 4).SelectMany(n => FsCheck.Fluent.Gen.ArrayOf(
            from code in FsCheck.Fluent.Gen.Choose(100, 200)
            from value in TunnelModels.Bytes(0, 40)
            select new DhcpExtraOption((byte)code, value), n))
        from pads in FsCheck.Fluent.Gen.Choose(0, 3)
        select new DhcpModel(op, xid, mac, ciaddr, yiaddr, siaddr, giaddr, broadcast, type, lease, serverId, routers, hostName, extra, pads);

    // Half the addresses are 0.0.0.0, the value that steers a server's reply (RFC 2131 §4.1).
    private static Gen<uint> Address => FsCheck.Fluent.Gen.Frequency((1, FsCheck.Fluent.Gen.Constant(0u)), (1, TunnelModels.UInt32));

    /// <summary>The options in the order they are written (Pad and End excluded).</summary>
    public List<(byte Code, byte[] Value)> ExpectedOptions()
    {
        var list = new List<(byte, byte[])>();
        if (Type != DhcpMessageType.None) list.Add((DhcpOptionCode.MessageType, [(byte)Type]));
        if (LeaseTime is uint lease) list.Add((DhcpOptionCode.LeaseTime, BigEndian(lease)));
        if (ServerId is uint server) list.Add((DhcpOptionCode.ServerIdentifier, BigEndian(server)));
        if (Routers.Length > 0) list.Add((DhcpOptionCode.Router, Routers.SelectMany(BigEndian).ToArray()));
        if (HostName.Length > 0) list.Add((DhcpOptionCode.HostName, HostName));
        foreach (var extra in Extra) list.Add((extra.Code, extra.Value));
        return list;
    }

    private static byte[] BigEndian(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    public byte[] EncodeOptions()
    {
        var buffer = new byte[1024];
        var writer = new DhcpOptionWriter(buffer.AsSpan(Pads));
        if (Type != DhcpMessageType.None) writer.AddMessageType(Type);
        if (LeaseTime is uint lease) writer.AddUInt32(DhcpOptionCode.LeaseTime, lease);
        if (ServerId is uint server) writer.AddAddress(DhcpOptionCode.ServerIdentifier, new IPv4Address(server));
        if (Routers.Length > 0) writer.AddAddresses(DhcpOptionCode.Router, Routers.Select(r => new IPv4Address(r)).ToArray());
        if (HostName.Length > 0) writer.Add(DhcpOptionCode.HostName, HostName);
        foreach (var extra in Extra) writer.Add(extra.Code, extra.Value);
        writer.AddEnd();
        return buffer.AsSpan(0, Pads + writer.Length).ToArray();
    }

    public byte[] Build()
    {
        var options = EncodeOptions();
        var bytes = new byte[DhcpMessage.GetLength(options.Length)];
        int length = DhcpMessage.Write(bytes, Op, Xid, new MacAddress(Mac), new IPv4Address(Ciaddr), new IPv4Address(Yiaddr),
            new IPv4Address(Siaddr), new IPv4Address(Giaddr), Broadcast, options);
        Assert.Equal(bytes.Length, length);
        return bytes;
    }
}

public class DhcpMessageTests
{
    [Property]
    public Property Write_then_read_returns_every_fixed_field() =>
        Prop.ForAll(Arb.From(DhcpModel.Gen), m =>
        {
            var bytes = m.Build();
            Assert.True(DhcpMessage.TryRead(bytes, out var message));
            Assert.Equal(m.Op, message.Operation);
            Assert.Equal(DhcpMessage.EthernetHardwareType, message.HardwareType);
            Assert.Equal(6, message.HardwareAddressLength);
            Assert.Equal(0, message.Hops);
            Assert.Equal(m.Xid, message.TransactionId);
            Assert.Equal(0, message.Seconds);
            Assert.Equal(m.Broadcast ? DhcpMessage.BroadcastFlag : 0, message.Flags);
            Assert.Equal(m.Broadcast, message.IsBroadcast);
            Assert.Equal(new IPv4Address(m.Ciaddr), message.ClientAddress);
            Assert.Equal(new IPv4Address(m.Yiaddr), message.YourAddress);
            Assert.Equal(new IPv4Address(m.Siaddr), message.ServerAddress);
            Assert.Equal(new IPv4Address(m.Giaddr), message.GatewayAddress);
            Assert.Equal(new MacAddress(m.Mac), message.ClientMac);
            Assert.Equal(6, message.ClientHardwareAddress.Length);
            Assert.Equal(new MacAddress(m.Mac), MacAddress.Read(message.ClientHardwareAddress));
            // The magic cookie 99.130.83.99, and at least the 300 bytes RFC 1542 §2.1 asks for.
            Assert.Equal(new byte[] { 99, 130, 83, 99 }, bytes.AsSpan(236, 4).ToArray());
            Assert.True(bytes.Length >= 300);
        });

    [Property]
    public Property Write_then_read_returns_every_option_in_order() =>
        Prop.ForAll(Arb.From(DhcpModel.Gen), m =>
        {
            var bytes = m.Build();
            Assert.True(DhcpMessage.TryRead(bytes, out var message));
            var expected = m.ExpectedOptions();

            var walk = message.Options;
            int index = 0;
            while (walk.MoveNext())
            {
                Assert.Equal(expected[index].Code, walk.Current.Code);
                Assert.Equal(expected[index].Value, walk.Current.Data.ToArray());
                index++;
            }
            Assert.Equal(expected.Count, index);
            Assert.True(walk.ReachedEnd);
            Assert.False(walk.IsMalformed);

            Assert.Equal(m.Type, message.MessageType);
            Assert.Equal(m.LeaseTime.HasValue, message.TryGetUInt32Option(DhcpOptionCode.LeaseTime, out uint lease));
            Assert.Equal(m.LeaseTime ?? 0, lease);
            Assert.Equal(m.ServerId.HasValue, message.TryGetAddressOption(DhcpOptionCode.ServerIdentifier, out var server));
            Assert.Equal(new IPv4Address(m.ServerId ?? 0), server);
            Assert.Equal(m.Routers.Length > 0, message.TryGetAddressOption(DhcpOptionCode.Router, out var router));
            if (m.Routers.Length > 0) Assert.Equal(new IPv4Address(m.Routers[0]), router);
            Assert.Equal(m.HostName.Length > 0, message.TryGetOption(DhcpOptionCode.HostName, out var hostName));
            Assert.Equal(m.HostName.Length > 0 ? m.HostName : [], hostName.ToArray());
            Assert.False(message.TryGetOption(DhcpOptionCode.End, out _));
            Assert.False(message.TryGetOption(DhcpOptionCode.Pad, out _));
        });

    [Property]
    public Property Every_truncation_reads_a_prefix_of_the_options_and_nothing_outside_it() =>
        Prop.ForAll(Arb.From(DhcpModel.Gen), m =>
        {
            var bytes = m.Build();
            var expected = m.ExpectedOptions();
            for (int length = 0; length <= bytes.Length; length++)
            {
                var prefix = bytes.AsSpan(0, length);
                bool read = DhcpMessage.TryRead(prefix, out var message);
                Assert.Equal(length >= DhcpMessage.MinimumLength, read);
                if (!read) continue;
                _ = message.MessageType;
                var walk = message.Options;
                int index = 0;
                while (walk.MoveNext())
                {
                    TunnelModels.AssertInside(prefix, walk.Current.Data);
                    Assert.Equal(expected[index].Code, walk.Current.Code);
                    Assert.Equal(expected[index].Value, walk.Current.Data.ToArray());
                    index++;
                }
                Assert.False(walk.ReachedEnd && walk.IsMalformed);
            }
        });

    [Property]
    public Property Reading_arbitrary_options_never_throws_and_every_option_lies_inside_the_message() =>
        Prop.ForAll(Arb.From(
            from fixedPart in TunnelModels.Bytes(DhcpMessage.FixedLength, DhcpMessage.FixedLength)
            from options in TunnelModels.Bytes(0, 120)
            select fixedPart.Concat(new byte[] { 99, 130, 83, 99 }).Concat(options).ToArray()), bytes =>
        {
            Assert.True(DhcpMessage.TryRead(bytes, out var message));
            Assert.InRange(message.ClientHardwareAddress.Length, 0, 16);
            _ = (message.ClientMac, message.MessageType, message.TryGetAddressOption(DhcpOptionCode.Router, out _),
                message.TryGetUInt32Option(DhcpOptionCode.LeaseTime, out _));
            int count = 0;
            foreach (var option in message.Options)
            {
                TunnelModels.AssertInside(message.OptionBytes, option.Data);
                Assert.NotEqual(DhcpOptionCode.Pad, option.Code);
                Assert.NotEqual(DhcpOptionCode.End, option.Code);
                count++;
            }
            Assert.InRange(count, 0, message.OptionBytes.Length / 2);
        });

    [Property]
    public Property Reading_arbitrary_bytes_accepts_only_a_long_enough_message_with_the_cookie(byte[] bytes)
    {
        bool read = DhcpMessage.TryRead(bytes, out _);
        bool expected = bytes.Length >= 240 && bytes[236] == 99 && bytes[237] == 130 && bytes[238] == 83 && bytes[239] == 99;
        return (read == expected).ToProperty();
    }

    [Fact]
    public void Options_after_End_are_ignored_and_a_truncated_option_stops_the_walk()
    {
        byte[] options = [0, 53, 1, 5, 255, 54, 4, 1, 2, 3, 4];
        var walk = new DhcpOptionEnumerator(options);
        Assert.True(walk.MoveNext());
        Assert.Equal(53, walk.Current.Code);
        Assert.False(walk.MoveNext());
        Assert.True(walk.ReachedEnd);

        byte[] truncated = [53, 1, 5, 54, 4, 1, 2];
        walk = new DhcpOptionEnumerator(truncated);
        Assert.True(walk.MoveNext());
        Assert.False(walk.MoveNext());
        Assert.True(walk.IsMalformed);
        Assert.False(walk.ReachedEnd);
    }

    [Fact]
    public void Message_type_is_None_without_a_one_byte_option_53()
    {
        var bytes = new DhcpModel(1, 1, 1, 0, 0, 0, 0, false, DhcpMessageType.None, null, null, [], [], [new DhcpExtraOption(53, [1, 2])], 0).Build();
        Assert.True(DhcpMessage.TryRead(bytes, out var message));
        Assert.True(message.TryGetOption(DhcpOptionCode.MessageType, out _));
        Assert.Equal(DhcpMessageType.None, message.MessageType);
    }

    [Fact]
    public void Client_mac_is_zero_for_non_ethernet_hardware()
    {
        var bytes = new DhcpModel(1, 1, 0x0200_0000_0001, 0, 0, 0, 0, false, DhcpMessageType.Discover, null, null, [], [], [], 0).Build();
        bytes[1] = 6; // IEEE 802 networks
        Assert.True(DhcpMessage.TryRead(bytes, out var message));
        Assert.Equal(MacAddress.Zero, message.ClientMac);
        bytes[1] = 1;
        bytes[2] = 40; // hlen beyond the 16-byte chaddr field
        Assert.True(DhcpMessage.TryRead(bytes, out message));
        Assert.Equal(16, message.ClientHardwareAddress.Length);
        Assert.Equal(MacAddress.Zero, message.ClientMac);
    }

    [Fact]
    public void Option_writer_throws_when_full_and_keeps_what_it_wrote()
    {
        var buffer = new byte[8];
        var writer = new DhcpOptionWriter(buffer);
        writer.AddMessageType(DhcpMessageType.Request);
        bool threw = false;
        try { writer.AddUInt32(DhcpOptionCode.LeaseTime, 3600); }
        catch (ArgumentException) { threw = true; }
        Assert.True(threw);
        Assert.Equal(3, writer.Length);
        writer.AddEnd();
        Assert.Equal(new byte[] { 53, 1, 3, 255 }, writer.Written.ToArray());

        threw = false;
        try { writer.Add(DhcpOptionCode.End, []); }
        catch (ArgumentOutOfRangeException) { threw = true; }
        Assert.True(threw);
    }

    [Fact]
    public void Write_throws_when_the_destination_is_too_short()
    {
        Assert.Throws<ArgumentException>(() => DhcpMessage.Write(new byte[299], 1, 1, default, default, default, default, default, false, [255]));
        Assert.Equal(300, DhcpMessage.Write(new byte[300], 1, 1, default, default, default, default, default, false, [255]));
        Assert.Equal(340, DhcpMessage.GetLength(100));
    }
}
