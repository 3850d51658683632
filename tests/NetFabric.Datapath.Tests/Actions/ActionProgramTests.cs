using System.Buffers.Binary;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Actions;

public class ActionProgramTests
{
    private static readonly MacAddress RouterMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress NextHopMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress HostA = MacAddress.Parse("02:aa:00:00:00:0a");
    private static readonly MacAddress HostB = MacAddress.Parse("02:bb:00:00:00:0b");

    internal static byte[] Ipv4Udp(byte ttl = 64, ushort? vlan = null, int payload = 22)
    {
        var frame = new byte[18 + 20 + 8 + payload];
        int length = IpFrames.WriteUdp(frame, HostA, HostB, IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"), 1024, 2048,
            new byte[payload], ttl, vlan);
        return frame[..length];
    }

    private static ActionProgram Routing(uint port = 3) =>
        ActionProgram.CreateBuilder().SetEthernetSource(RouterMac).SetEthernetDestination(NextHopMac).DecrementTtl().Output(port).Build();

    [FsCheck.Xunit.Property(MaxTest = 500)]
    public bool The_header_walk_shortcut_agrees_with_the_full_walk_and_dec_ttl_follows_it(byte length, byte versionIhl, byte totalLength, bool tagged, byte ttl)
    {
        // A valid IPv4/UDP frame, then the fields PacketLayout.Locate's untagged 20-byte-header shortcut tests (EtherType, version and
        // header length, total length, frame length) pushed to both sides of its conditions.
        var valid = Ipv4Udp(ttl, tagged ? (ushort)7 : null, payload: 30);
        var frame = valid[..Math.Min(valid.Length, 26 + length % 56)];
        int ip = tagged ? 18 : 14;
        if (frame.Length > ip) frame[ip] = (versionIhl & 3) != 0 ? (byte)0x45 : versionIhl;
        if (frame.Length >= ip + 4 && (totalLength & 1) != 0) BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(ip + 2), (ushort)(totalLength >> 2));

        // The reference: the full walk, then the decrement at the header it found. The inline shortcut must reach the
        // same layout, field for field.
        var layout = default(NetFabric.Datapath.Actions.Internal.PacketLayout);
        layout.LocateAny(frame);
        var shortcut = default(NetFabric.Datapath.Actions.Internal.PacketLayout);
        shortcut.Locate(frame);
        if (!shortcut.Equals(layout)) return false;
        var sink = ActionRunner.Run(ActionProgram.CreateBuilder().DecrementTtl().Output(1).Build(), frame);
        if (layout.IpVersion != 4) return layout.IpVersion == 6 || sink.Drops.SequenceEqual([DropReason.Malformed]);
        if (frame[layout.Network + 8] <= 1) return sink.Resolved.Count == 1 && sink.Resolved[0].Frame.AsSpan().SequenceEqual(frame);
        var expected = (byte[])frame.Clone();
        int at = layout.Network;
        ushort word = BinaryPrimitives.ReadUInt16BigEndian(expected.AsSpan(at + 8));
        ushort decremented = (ushort)(word - 0x100);
        BinaryPrimitives.WriteUInt16BigEndian(expected.AsSpan(at + 8), decremented);
        BinaryPrimitives.WriteUInt16BigEndian(expected.AsSpan(at + 10),
            Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at + 10)), word, decremented));
        return sink.Outputs.Count == 1 && sink.Outputs[0].Frame.AsSpan().SequenceEqual(expected);
    }

    [Fact]
    public void Drop_is_a_drop_program_that_drops_with_reason_Action()
    {
        Assert.True(ActionProgram.Drop.IsDrop);
        Assert.Equal("drop", ActionProgram.Drop.ToString());
        var sink = ActionRunner.Run(ActionProgram.Drop, Ipv4Udp());
        Assert.Equal([DropReason.Action], sink.Drops);
        Assert.Empty(sink.Outputs);
    }

    [Fact]
    public void A_program_without_output_or_resolver_is_the_drop_program()
    {
        Assert.Same(ActionProgram.Drop, ActionProgram.CreateBuilder().Build());
        var program = ActionProgram.CreateBuilder().SetEthernetSource(RouterMac).DecrementTtl().Build();
        Assert.True(program.IsDrop);
        Assert.Equal([DropReason.Action], ActionRunner.Run(program, Ipv4Udp()).Drops);
    }

    [Fact]
    public void ToString_reads_like_Open_vSwitch_actions()
    {
        Assert.Equal("set_field:02:00:00:00:00:01->eth_src,set_field:02:00:00:00:00:02->eth_dst,dec_ttl,output:3", Routing().ToString());
        var template = TunnelTemplate.Vxlan(RouterMac, NextHopMac, IPv4Address.Parse("192.0.2.1"), IPv4Address.Parse("192.0.2.2"), 5001);
        var program = ActionProgram.CreateBuilder()
            .PushVlan(100).SetVlan(0x2064).PopVlan()
            .SetIpv4Source(IPv4Address.Parse("10.0.0.1")).SetIpv4Destination(IPv4Address.Parse("10.0.0.2"))
            .SetIpv6Source(IPv6Address.Parse("2001:db8::1")).SetIpv6Destination(IPv6Address.Parse("2001:db8::2"))
            .SetTransportSource(80).SetTransportDestination(8080)
            .Output(1).Encapsulate(template).Output(2).Decapsulate().ToResolver()
            .Build();
        Assert.Equal(
            "push_vlan(tpid=0x8100,tci=0x0064),set_field:0x2064->vlan_tci,pop_vlan,set_field:10.0.0.1->ip_src,set_field:10.0.0.2->ip_dst,"
            + "set_field:2001:db8::1->ipv6_src,set_field:2001:db8::2->ipv6_dst,set_field:80->tp_src,set_field:8080->tp_dst,output:1,"
            + "encap:vxlan(vni=5001,eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,ipv4_src=192.0.2.1,ipv4_dst=192.0.2.2),output:2,decap,resolver",
            program.ToString());
        Assert.False(program.IsDrop);
    }

    [Fact]
    public void Build_rejects_actions_after_ToResolver_naming_the_step()
    {
        var builder = ActionProgram.CreateBuilder().DecrementTtl().ToResolver().Output(2);
        var error = Assert.Throws<ArgumentException>(() => builder.Build());
        Assert.Contains("Step 2 (resolver)", error.Message);
        Assert.Contains("step 3 (output:2)", error.Message);
    }

    [Fact]
    public void Build_rejects_actions_after_the_last_output_naming_the_step()
    {
        var builder = ActionProgram.CreateBuilder().Output(1).SetTransportSource(7);
        var error = Assert.Throws<ArgumentException>(() => builder.Build());
        Assert.Contains("Step 2 (set_field:7->tp_src)", error.Message);
    }

    [Fact]
    public void Builder_rejects_bad_arguments_at_once()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ActionProgram.CreateBuilder().PushVlan(1, 0x0800));
        Assert.Throws<ArgumentNullException>(() => ActionProgram.CreateBuilder().Encapsulate(null!));
    }

    [Fact]
    public void Routing_program_rewrites_macs_decrements_ttl_and_keeps_the_header_checksum_valid()
    {
        var frame = Ipv4Udp(ttl: 64);
        var sink = ActionRunner.Run(Routing(3), frame);
        var output = Assert.Single(sink.Outputs);
        Assert.Equal(3u, output.Port);
        Assert.True(EthernetHeader.TryRead(output.Frame, out var ethernet));
        Assert.Equal(RouterMac, ethernet.Source);
        Assert.Equal(NextHopMac, ethernet.Destination);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.Equal(63, ip.TimeToLive);
        Assert.True(ip.IsChecksumValid);
        // Everything but MACs, TTL and header checksum is unchanged.
        Assert.Equal(frame.AsSpan(12, 10).ToArray(), output.Frame.AsSpan(12, 10).ToArray());
        Assert.Equal(frame.AsSpan(14 + 12).ToArray(), output.Frame.AsSpan(14 + 12).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void DecrementTtl_at_ttl_one_or_zero_goes_to_the_resolver_unchanged(byte ttl)
    {
        var frame = Ipv4Udp(ttl: ttl);
        var program = ActionProgram.CreateBuilder().DecrementTtl().SetEthernetSource(RouterMac).Output(1).Build();
        var sink = ActionRunner.Run(program, frame);
        var (reason, resolved) = Assert.Single(sink.Resolved);
        Assert.Equal(ResolverReason.TtlExpired, reason);
        Assert.Equal(frame, resolved);
        Assert.Empty(sink.Outputs);
    }

    [Fact]
    public void DecrementTtl_at_hop_limit_one_goes_to_the_resolver()
    {
        var frame = new byte[100];
        int length = IpFrames.WriteUdp(frame, HostA, HostB, IPv6Address.Parse("2001:db8::1"), IPv6Address.Parse("2001:db8::2"), 1, 2, new byte[4], hopLimit: 1);
        var sink = ActionRunner.Run(Routing(), frame.AsSpan(0, length));
        Assert.Equal(ResolverReason.TtlExpired, Assert.Single(sink.Resolved).Reason);
    }

    [Fact]
    public void ToResolver_hands_the_packet_over_with_reason_Explicit_after_earlier_outputs_sent_copies()
    {
        var frame = Ipv4Udp();
        var sink = ActionRunner.Run(ActionProgram.CreateBuilder().Output(4).ToResolver().Build(), frame);
        Assert.Equal(frame, Assert.Single(sink.Outputs).Frame);
        var (reason, resolved) = Assert.Single(sink.Resolved);
        Assert.Equal(ResolverReason.Explicit, reason);
        Assert.Equal(frame, resolved);
    }

    [Fact]
    public void Multiple_outputs_produce_identical_copies_and_later_actions_apply_to_the_packet_continuing()
    {
        var frame = Ipv4Udp();
        var program = ActionProgram.CreateBuilder().Output(1).Output(2).SetEthernetSource(RouterMac).Output(3).Build();
        var sink = ActionRunner.Run(program, frame);
        Assert.Equal([1u, 2u, 3u], sink.Outputs.Select(o => o.Port));
        Assert.Equal(frame, sink.Outputs[0].Frame);
        Assert.Equal(frame, sink.Outputs[1].Frame);
        Assert.Equal(RouterMac, MacAddress.Read(sink.Outputs[2].Frame.AsSpan(6)));
        Assert.Equal(frame.AsSpan(12).ToArray(), sink.Outputs[2].Frame.AsSpan(12).ToArray());
        Assert.Empty(sink.Drops);
    }

    [Fact]
    public void Pool_exhaustion_on_a_copy_counts_a_NoBuffer_drop_and_the_original_continues()
    {
        var frame = Ipv4Udp();
        var program = ActionProgram.CreateBuilder().Output(1).Output(2).Output(3).Build();
        var sink = ActionRunner.Run(program, frame, poolSize: 1);
        Assert.Equal([DropReason.NoBuffer, DropReason.NoBuffer], sink.Drops);
        var output = Assert.Single(sink.Outputs);
        Assert.Equal(3u, output.Port);
        Assert.Equal(frame, output.Frame);
    }

    [Theory]
    [InlineData((ushort)0x8100)]
    [InlineData((ushort)0x88A8)]
    public void PushVlan_then_PopVlan_returns_the_original_frame(ushort tpid)
    {
        var frame = Ipv4Udp(vlan: 7);
        var pushed = ActionRunner.Run(ActionProgram.CreateBuilder().PushVlan(0x2005, tpid).Output(1).Build(), frame);
        var tagged = Assert.Single(pushed.Outputs).Frame;
        Assert.Equal(frame.Length + 4, tagged.Length);
        Assert.Equal(tpid, BinaryPrimitives.ReadUInt16BigEndian(tagged.AsSpan(12)));
        Assert.True(EthernetHeader.TryRead(tagged, out var ethernet));
        Assert.Equal(2, ethernet.TagCount);
        Assert.Equal(0x2005, ethernet.OuterVlanTci);
        Assert.Equal(7, ethernet.VlanTci);

        var popped = ActionRunner.Run(ActionProgram.CreateBuilder().PopVlan().Output(1).Build(), tagged);
        Assert.Equal(frame, Assert.Single(popped.Outputs).Frame);
        var both = ActionRunner.Run(ActionProgram.CreateBuilder().PushVlan(9, tpid).PopVlan().Output(1).Build(), frame);
        Assert.Equal(frame, Assert.Single(both.Outputs).Frame);
    }

    [Fact]
    public void Set_fields_after_a_push_find_the_headers_behind_the_new_tag()
    {
        var frame = Ipv4Udp(ttl: 10);
        var program = ActionProgram.CreateBuilder().DecrementTtl().PushVlan(5).DecrementTtl().SetIpv4Source(IPv4Address.Parse("10.1.1.1")).PopVlan().DecrementTtl().Output(1).Build();
        var output = Assert.Single(ActionRunner.Run(program, frame).Outputs).Frame;
        Assert.True(EthernetHeader.TryRead(output, out var ethernet));
        Assert.Equal(0, ethernet.TagCount);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.Equal(7, ip.TimeToLive);
        Assert.Equal(IPv4Address.Parse("10.1.1.1"), ip.Source);
        Assert.True(ip.IsChecksumValid);
    }

    [Fact]
    public void SetVlan_changes_the_outermost_tci_only()
    {
        var frame = Ipv4Udp(vlan: 0x0123);
        var output = Assert.Single(ActionRunner.Run(ActionProgram.CreateBuilder().SetVlan(0xE456).Output(1).Build(), frame).Outputs).Frame;
        Assert.Equal(0xE456, BinaryPrimitives.ReadUInt16BigEndian(output.AsSpan(14)));
        output[14] = frame[14];
        output[15] = frame[15];
        Assert.Equal(frame, output);
    }

    [Fact]
    public void Vlan_actions_on_an_untagged_frame_drop_it_as_malformed()
    {
        var frame = Ipv4Udp();
        Assert.Equal([DropReason.Malformed], ActionRunner.Run(ActionProgram.CreateBuilder().SetVlan(5).Output(1).Build(), frame).Drops);
        Assert.Equal([DropReason.Malformed], ActionRunner.Run(ActionProgram.CreateBuilder().PopVlan().Output(1).Build(), frame).Drops);
    }

    [Fact]
    public void PushVlan_without_headroom_drops_with_NoHeadroom()
    {
        var sink = ActionRunner.Run(ActionProgram.CreateBuilder().PushVlan(5).Output(1).Build(), Ipv4Udp(), headroom: 2);
        Assert.Equal([DropReason.NoHeadroom], sink.Drops);
    }

    [Fact]
    public void An_action_on_a_missing_layer_drops_as_malformed()
    {
        var ipv4 = Ipv4Udp();
        Assert.Equal([DropReason.Malformed], ActionRunner.Run(ActionProgram.CreateBuilder().SetIpv6Source(IPv6Address.Parse("::1")).Output(1).Build(), ipv4).Drops);
        var arp = new byte[42];
        EthernetHeader.Write(arp, MacAddress.Broadcast, HostA, EtherType.Arp);
        Assert.Equal([DropReason.Malformed], ActionRunner.Run(Routing(), arp).Drops);
        Assert.Equal([DropReason.Malformed], ActionRunner.Run(Routing(), ipv4.AsSpan(0, 10)).Drops);
    }

    [Fact]
    public void Udp_over_ipv4_without_checksum_keeps_a_zero_checksum()
    {
        var frame = Ipv4Udp();
        frame[14 + 20 + 6] = 0;
        frame[14 + 20 + 7] = 0;
        var program = ActionProgram.CreateBuilder().SetIpv4Source(IPv4Address.Parse("10.9.8.7")).SetTransportSource(5353).SetTransportDestination(53).Output(1).Build();
        var output = Assert.Single(ActionRunner.Run(program, frame).Outputs).Frame;
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(output.AsSpan(14 + 20 + 6)));
        Assert.Equal(5353, BinaryPrimitives.ReadUInt16BigEndian(output.AsSpan(14 + 20)));
        Assert.True(Checksum.IsValid(output.AsSpan(14, 20)));
    }

    [Fact]
    public void A_udp_checksum_that_updates_to_zero_is_sent_as_all_ones()
    {
        var frame = Ipv4Udp();
        var udp = frame.AsSpan(14 + 20);
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(udp.Slice(6));
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(udp);
        // Choose the new port so the one's-complement sum becomes zero: checksum' = ~(~c + ~p + p') = 0 ⇔ p' = c + p (mod 0xFFFF), folded.
        uint target = (uint)checksum + port;
        ushort newPort = (ushort)((target & 0xFFFF) + (target >> 16));
        Assert.Equal(0, Checksum.Update(checksum, port, newPort));
        var output = Assert.Single(ActionRunner.Run(ActionProgram.CreateBuilder().SetTransportSource(newPort).Output(1).Build(), frame).Outputs).Frame;
        Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16BigEndian(output.AsSpan(14 + 20 + 6)));
        var datagram = output.AsSpan(14 + 20);
        ulong pseudo = Checksum.PseudoHeaderSum(IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"), IpProtocol.Udp, datagram.Length);
        Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(datagram, pseudo)));
    }

    [Fact]
    public void A_later_ipv4_fragment_gets_only_its_ip_header_rewritten()
    {
        var frame = new byte[14 + 20 + 16];
        EthernetHeader.Write(frame, HostB, HostA, EtherType.IPv4);
        Ipv4Header.Write(frame.AsSpan(14), IPv4Address.Parse("10.0.0.1"), IPv4Address.Parse("10.0.0.2"), IpProtocol.Udp, 16, fragmentOffset: 64);
        for (int i = 34; i < frame.Length; i++) frame[i] = (byte)i;
        var program = ActionProgram.CreateBuilder().SetIpv4Destination(IPv4Address.Parse("10.7.7.7")).Output(1).Build();
        var output = Assert.Single(ActionRunner.Run(program, frame).Outputs).Frame;
        Assert.True(Checksum.IsValid(output.AsSpan(14, 20)));
        Assert.Equal(frame.AsSpan(34).ToArray(), output.AsSpan(34).ToArray());
        // Ports need the transport header a later fragment does not have.
        Assert.Equal([DropReason.Malformed], ActionRunner.Run(ActionProgram.CreateBuilder().SetTransportSource(1).Output(1).Build(), frame).Drops);
    }

    [Fact]
    public void Headers_are_found_behind_ipv4_options_tcp_options_and_ipv6_extension_headers()
    {
        // IPv4 with 8 bytes of options carrying TCP with an MSS option.
        var tcp = new byte[14 + 28 + 24 + 10];
        EthernetHeader.Write(tcp, HostB, HostA, EtherType.IPv4);
        Ipv4Header.Write(tcp.AsSpan(14), IPv4Address.Parse("10.0.0.1"), IPv4Address.Parse("10.0.0.2"), IpProtocol.Tcp, 34, options: [1, 1, 1, 1, 1, 1, 1, 0]);
        TcpHeader.Write(tcp.AsSpan(42), 1000, 2000, 1, 2, TcpFlags.Ack, 100, options: [2, 4, 5, 0xB4]);
        TcpHeader.SetChecksum(tcp.AsSpan(42), Checksum.PseudoHeaderSum(IPv4Address.Parse("10.0.0.1"), IPv4Address.Parse("10.0.0.2"), IpProtocol.Tcp, 34));
        var program = ActionProgram.CreateBuilder().SetIpv4Destination(IPv4Address.Parse("10.5.5.5")).SetTransportSource(4321).SetTransportDestination(99).DecrementTtl().Output(1).Build();
        var output = Assert.Single(ActionRunner.Run(program, tcp).Outputs).Frame;
        SetFieldPropertyTests.AssertChecksumsValid(output);
        Assert.Equal(4321, BinaryPrimitives.ReadUInt16BigEndian(output.AsSpan(42)));
        Assert.Equal(99, BinaryPrimitives.ReadUInt16BigEndian(output.AsSpan(44)));

        // IPv6, hop-by-hop options header, then UDP.
        var source = IPv6Address.Parse("2001:db8::1");
        var destination = IPv6Address.Parse("2001:db8::2");
        var udp = new byte[14 + 40 + 8 + 8 + 6];
        EthernetHeader.Write(udp, HostB, HostA, EtherType.IPv6);
        Ipv6Header.Write(udp.AsSpan(14), source, destination, IpProtocol.HopByHop, 8 + 14);
        udp[54] = IpProtocol.Udp; // hop-by-hop: next header, length 0 (8 bytes), PadN
        udp[56] = 1;
        udp[57] = 4;
        UdpHeader.Write(udp.AsSpan(62), 7, 8, 6);
        UdpHeader.SetChecksum(udp.AsSpan(62), Checksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, 14));
        var newSource = IPv6Address.Parse("2001:db8:ffff::77");
        program = ActionProgram.CreateBuilder().SetIpv6Source(newSource).SetTransportSource(4321).DecrementTtl().Output(1).Build();
        output = Assert.Single(ActionRunner.Run(program, udp).Outputs).Frame;
        Assert.Equal(4321, BinaryPrimitives.ReadUInt16BigEndian(output.AsSpan(62)));
        Assert.Equal(63, output[14 + 7]);
        Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(output.AsSpan(62), Checksum.PseudoHeaderSum(newSource, destination, IpProtocol.Udp, 14))));
        Assert.Equal(udp.AsSpan(54, 8).ToArray(), output.AsSpan(54, 8).ToArray());
    }

    [Fact]
    public void Executing_a_routing_program_a_thousand_times_allocates_nothing()
    {
        using var pool = new PacketPool(4);
        var frame = Ipv4Udp(payload: 22); // 64 bytes
        Assert.Equal(64, frame.Length);
        var program = Routing();
        var sink = new ReleasingSink();
        for (int i = 0; i < 2_000; i++) program.Execute(ActionRunner.Load(pool, frame), sink);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++)
        {
            pool.TryRent(out var packet);
            packet.TrySetLength(frame.Length);
            frame.CopyTo(packet.Data);
            program.Execute(packet, sink);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(3_000, sink.Outputs);
        Assert.Equal(pool.Count, pool.Available);
    }
}
