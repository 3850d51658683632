using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Devices;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.State;

namespace NetFabric.Simulation.Tests.Devices;

using NetFabric.Simulation.Topology;

internal sealed class ManualTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;
}

public class RouterTests
{
    private static readonly MacAddress Host = MacAddress.Parse("02:00:00:00:00:aa");
    private static readonly MacAddress P1Mac = MacAddress.Parse("02:00:00:00:01:01");
    private static readonly MacAddress P2Mac = MacAddress.Parse("02:00:00:00:02:01");
    private static readonly MacAddress P3Mac = MacAddress.Parse("02:00:00:00:03:01");
    private static readonly IPv4Address HostIp = IPv4Address.Parse("198.18.1.10");

    private readonly TopologySnapshot _topology = ThreePortRouter(r => r
        .Route("10.0.0.0/8", port: "p2", gateway: "198.18.2.254")
        .Route("10.1.0.0/16", port: "p3", gateway: "198.18.3.254")
        .Route("172.16.0.0/16", port: "p3", gateway: "198.18.3.254", source: "198.18.1.128/25")
        .Route("172.16.0.0/16", port: "p2", gateway: "198.18.2.254")
        .Blackhole("192.0.2.0/24")
        .Reject("203.0.113.0/24"));

    /// Router r1 with ports p1, p2, p3 on 198.18.1.0/24, .2.0/24 and .3.0/24 (exteriors h1 to h3), then <paramref name="routes"/>.
    internal static TopologySnapshot ThreePortRouter(Func<RouterBuilder, RouterBuilder> routes) => new TopologyBuilder()
        .Router("r1", r => routes(r
            .Port("p1", mac: "02:00:00:00:01:01", address: "198.18.1.1/24", exterior: "h1")
            .Port("p2", mac: "02:00:00:00:02:01", address: "198.18.2.1/24", exterior: "h2")
            .Port("p3", mac: "02:00:00:00:03:01", address: "198.18.3.1/24", exterior: "h3")))
        .Build();

    private readonly ManualTime _time = new();
    private readonly Router _router;
    private readonly SimulationContext _context = new();

    public RouterTests() => _router = new Router((RouterDefinition)_topology.Device("r1"), _topology, new ArpCache(_time));

    private ulong Port(string name) => _topology.Port("r1/" + name).Id.Value;

    private static byte[] Udp(string destination, string? source = null, MacAddress? destinationMac = null, byte ttl = 64, ushort port = 5000)
    {
        var frame = new byte[128];
        int length = IpFrames.WriteUdp(frame, Host, destinationMac ?? P1Mac, source is null ? HostIp : IPv4Address.Parse(source),
            IPv4Address.Parse(destination), port, port, new byte[10]);
        frame[14 + 8] = ttl;
        // Keep the IPv4 checksum valid after the TTL change.
        frame[14 + 10] = 0;
        frame[14 + 11] = 0;
        ushort checksum = Checksum.Compute(frame.AsSpan(14, 20));
        frame[14 + 10] = (byte)(checksum >> 8);
        frame[14 + 11] = (byte)checksum;
        return frame[..length];
    }

    private DeviceVerdict Simulate(byte[] frame, string port = "p1")
    {
        FlowKey.Extract(frame, 1, out var key);
        _context.Reset(key);
        return _router.Process(_context, Port(port));
    }

    private void Learn(string address, MacAddress mac)
    {
        var ip = IPv4Address.Parse(address);
        _router.ArpCache.Resolve(ip);
        Assert.True(_router.ArpCache.LearnSolicited(ip, mac));
    }

    private static (byte Type, byte Code, IPv4Address Source, IPv4Address Destination) Icmp(byte[] frame)
    {
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.True(ip.IsChecksumValid);
        Assert.True(IcmpV4Header.TryRead(ip.Payload, out var icmp));
        Assert.True(icmp.IsChecksumValid);
        return (icmp.Type, icmp.Code, ip.Source, ip.Destination);
    }

    [Fact]
    public void Longest_prefix_match_picks_the_longest_route_and_reads_only_the_deciding_bits()
    {
        Learn("198.18.2.254", MacAddress.Parse("02:00:00:00:02:fe"));
        Learn("198.18.3.254", MacAddress.Parse("02:00:00:00:03:fe"));

        var verdict = Simulate(Udp("10.1.2.3"));
        Assert.Equal(VerdictKind.Forward, verdict.Kind);
        Assert.Equal(Port("p3"), Assert.Single(verdict.Ports));
        Assert.Equal(0xFFFF_0000UL, _context.Mask.Bits.NetworkDestination.Lower);

        verdict = Simulate(Udp("10.2.0.1"));
        Assert.Equal(Port("p2"), Assert.Single(verdict.Ports));
        // Enough bits to rule out 10.1.0.0/16 (first difference at bit 15), not the whole address.
        Assert.Equal(0xFFFE_0000UL, _context.Mask.Bits.NetworkDestination.Lower);
    }

    [Fact]
    public void A_source_prefix_route_applies_only_to_its_sources()
    {
        Learn("198.18.2.254", MacAddress.Parse("02:00:00:00:02:fe"));
        Learn("198.18.3.254", MacAddress.Parse("02:00:00:00:03:fe"));

        var verdict = Simulate(Udp("172.16.5.5", source: "198.18.1.200"));
        Assert.Equal(Port("p3"), Assert.Single(verdict.Ports));
        Assert.Equal(0xFFFF_FF80UL, _context.Mask.Bits.NetworkSource.Lower);

        verdict = Simulate(Udp("172.16.5.5", source: "198.18.1.10"));
        Assert.Equal(Port("p2"), Assert.Single(verdict.Ports));
        Assert.NotEqual(0UL, _context.Mask.Bits.NetworkSource.Lower);
    }

    [Fact]
    public void A_blackhole_route_drops_silently()
    {
        var verdict = Simulate(Udp("192.0.2.9"));
        Assert.Equal(VerdictKind.Drop, verdict.Kind);
        Assert.Empty(_context.Emitted);
    }

    [Fact]
    public void A_reject_route_answers_admin_prohibited_out_of_the_ingress_port()
    {
        var verdict = Simulate(Udp("203.0.113.7"));
        Assert.Equal(VerdictKind.Drop, verdict.Kind);
        var (port, frame) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("p1"), port);
        var icmp = Icmp(frame);
        Assert.Equal((IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeAdministrativelyProhibited), (icmp.Type, icmp.Code));
        Assert.Equal(IPv4Address.Parse("198.18.1.1"), icmp.Source);
        Assert.Equal(HostIp, icmp.Destination);
    }

    [Fact]
    public void No_route_answers_net_unreachable()
    {
        var verdict = Simulate(Udp("8.8.8.8"));
        Assert.Equal(VerdictKind.Drop, verdict.Kind);
        var (port, frame) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("p1"), port);
        var icmp = Icmp(frame);
        Assert.Equal((IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeNetUnreachable), (icmp.Type, icmp.Code));
    }

    [Fact]
    public void Frames_not_for_the_router_MAC_and_non_IPv4_are_dropped()
    {
        Assert.Equal(VerdictKind.Drop, Simulate(Udp("10.1.2.3", destinationMac: MacAddress.Parse("02:00:00:00:00:bb"))).Kind);
        Assert.Empty(_context.Emitted);
    }

    [Fact]
    public void An_echo_request_to_a_router_address_is_answered()
    {
        var frame = new byte[64];
        int offset = EthernetHeader.Write(frame, P1Mac, Host, EtherType.IPv4);
        offset += Ipv4Header.Write(frame.AsSpan(offset), HostIp, IPv4Address.Parse("198.18.1.1"), IpProtocol.Icmp, IcmpV4Header.Length);
        IcmpV4Header.Write(frame.AsSpan(offset), IcmpV4Header.TypeEchoRequest, 0, 0x0001_0001);
        IcmpV4Header.SetChecksum(frame.AsSpan(offset, IcmpV4Header.Length));
        var verdict = Simulate(frame[..(offset + IcmpV4Header.Length)]);
        Assert.Equal(VerdictKind.Consume, verdict.Kind);
        var (port, reply) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("p1"), port);
        Assert.Equal(IcmpV4Header.TypeEchoReply, Icmp(reply).Type);
    }

    [Fact]
    public void An_ARP_request_for_a_port_address_is_answered_out_of_that_port()
    {
        var request = new byte[ArpFrames.Length];
        ArpFrames.WriteRequest(request, Host, HostIp, IPv4Address.Parse("198.18.1.1"));
        var verdict = Simulate(request);
        Assert.Equal(VerdictKind.Consume, verdict.Kind);
        var (port, reply) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("p1"), port);
        Assert.True(EthernetHeader.TryRead(reply, out var ethernet));
        Assert.Equal(Host, ethernet.Destination);
        Assert.True(ArpPacket.TryRead(ethernet.Payload, out var arp));
        Assert.Equal(ArpPacket.OperationReply, arp.Operation);
        Assert.Equal(P1Mac, arp.SenderHardwareAddress);
        Assert.Equal(IPv4Address.Parse("198.18.1.1"), arp.SenderProtocolAddress);
        Assert.Equal(HostIp, arp.TargetProtocolAddress);
    }

    [Fact]
    public void An_ARP_request_for_the_router_teaches_it_the_asker_so_traffic_back_needs_no_ARP_of_its_own()
    {
        var request = new byte[ArpFrames.Length];
        ArpFrames.WriteRequest(request, Host, HostIp, IPv4Address.Parse("198.18.1.1"));
        Assert.Equal(VerdictKind.Consume, Simulate(request).Kind);
        Assert.True(_router.ArpCache.TryGet(HostIp, out var learned));
        Assert.Equal(Host, learned);

        // A reply routed from p2 to the asker goes straight out: no request, no parking.
        var verdict = Simulate(Udp("198.18.1.10", source: "198.18.2.7", destinationMac: P2Mac), "p2");
        Assert.Equal(VerdictKind.Forward, verdict.Kind);
        Assert.Equal(Port("p1"), Assert.Single(verdict.Ports));
        Assert.Empty(_context.Emitted);
        Assert.Equal(Host, _context.CurrentKey.EthernetDestination);
    }

    [Theory]
    [InlineData("0.0.0.0")]       // an address probe (RFC 5227) claims nothing
    [InlineData("198.18.2.10")]   // not of the ingress port's subnet
    [InlineData("198.18.1.1")]    // the router's own address
    public void An_ARP_request_from_a_sender_the_port_cannot_talk_back_to_teaches_nothing(string sender)
    {
        var request = new byte[ArpFrames.Length];
        ArpFrames.WriteRequest(request, Host, IPv4Address.Parse(sender), IPv4Address.Parse("198.18.1.1"));
        Simulate(request);
        Assert.Equal(0, _router.ArpCache.Count);
    }

    [Fact]
    public void Learning_from_requests_signals_a_new_or_moved_address_and_not_a_refresh_and_never_overrides_a_static_entry()
    {
        var cache = new ArpCache(_time);
        var changed = new List<IPv4Address>();
        cache.EntryChanged += changed.Add;
        var other = MacAddress.Parse("02:00:00:00:00:bb");

        Assert.True(cache.LearnFromRequest(HostIp, Host));
        Assert.False(cache.LearnFromRequest(HostIp, Host));
        Assert.True(cache.LearnFromRequest(HostIp, other));
        Assert.True(cache.TryGet(HostIp, out var mac));
        Assert.Equal(other, mac);
        Assert.Equal([HostIp, HostIp], changed);

        // A refresh extends the lifetime: still valid after most of a second lifetime.
        _time.Now += cache.EntryLifetime * 0.75;
        Assert.False(cache.LearnFromRequest(HostIp, other));
        _time.Now += cache.EntryLifetime * 0.75;
        Assert.True(cache.TryGet(HostIp, out _));

        // An outstanding resolution ends with the learned answer (parked packets get retried).
        var asked = IPv4Address.Parse("198.18.1.20");
        Assert.Equal(ResolveState.SendRequest, cache.Resolve(asked));
        Assert.True(cache.LearnFromRequest(asked, Host));
        Assert.False(cache.IsPending(asked));

        var fixedAddress = IPv4Address.Parse("198.18.1.30");
        cache.AddStatic(fixedAddress, Host);
        Assert.False(cache.LearnFromRequest(fixedAddress, other));
        Assert.True(cache.TryGet(fixedAddress, out mac));
        Assert.Equal(Host, mac);
    }

    [Fact]
    public void A_tagged_frame_is_neither_routed_nor_answered_and_the_flow_matches_the_tag()
    {
        var tagged = new byte[128];
        int length = IpFrames.WriteUdp(tagged, Host, P1Mac, HostIp, IPv4Address.Parse("198.18.2.7"), 5000, 5000, new byte[10], vlanTci: 10);
        var verdict = Simulate(tagged[..length]);
        Assert.Equal(VerdictKind.Drop, verdict.Kind);
        Assert.Empty(_context.Emitted);
        Assert.Equal(0xFFFF, _context.Mask.Bits.VlanTci);

        var request = new byte[ArpFrames.Length + 4];
        length = ArpFrames.WriteRequest(request, Host, HostIp, IPv4Address.Parse("198.18.1.1"), 10);
        Assert.Equal(VerdictKind.Drop, Simulate(request[..length]).Kind);
        Assert.Empty(_context.Emitted);
        Assert.Equal(0, _router.ArpCache.Count);
    }

    [Fact]
    public void An_unsolicited_ARP_reply_is_dropped_and_not_learned()
    {
        var reply = new byte[ArpFrames.Length];
        ArpFrames.WriteReply(reply, Host, HostIp, P1Mac, IPv4Address.Parse("198.18.1.1"));
        Assert.Equal(VerdictKind.Drop, Simulate(reply).Kind);
        Assert.Equal(0, _router.ArpCache.Count);
    }

    [Fact]
    public void An_ARP_miss_asks_parks_and_forwards_once_the_reply_is_learned()
    {
        var packet = Udp("198.18.2.7", ttl: 30);
        var verdict = Simulate(packet);
        Assert.Equal(VerdictKind.Pending, verdict.Kind);
        var (port, request) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("p2"), port);
        Assert.True(EthernetHeader.TryRead(request, out var ethernet));
        Assert.True(ethernet.Destination.IsBroadcast);
        Assert.True(ArpPacket.TryRead(ethernet.Payload, out var arp));
        Assert.Equal(ArpPacket.OperationRequest, arp.Operation);
        Assert.Equal(P2Mac, arp.SenderHardwareAddress);
        Assert.Equal(IPv4Address.Parse("198.18.2.1"), arp.SenderProtocolAddress);
        Assert.Equal(IPv4Address.Parse("198.18.2.7"), arp.TargetProtocolAddress);

        // A retry within the request interval does not ask again.
        Assert.Equal(VerdictKind.Pending, Simulate(packet).Kind);
        Assert.Empty(_context.Emitted);

        var vm2 = MacAddress.Parse("02:00:00:00:00:07");
        var reply = new byte[ArpFrames.Length];
        ArpFrames.WriteReply(reply, vm2, IPv4Address.Parse("198.18.2.7"), P2Mac, IPv4Address.Parse("198.18.2.1"));
        Assert.Equal(VerdictKind.Consume, Simulate(reply, "p2").Kind);
        Assert.True(_router.ArpCache.TryGet(IPv4Address.Parse("198.18.2.7"), out var learned));
        Assert.Equal(vm2, learned);

        verdict = Simulate(packet);
        Assert.Equal(VerdictKind.Forward, verdict.Kind);
        Assert.Equal(Port("p2"), Assert.Single(verdict.Ports));
        Assert.Equal(1, _context.TtlDecrements);
        Assert.Equal(P2Mac, _context.CurrentKey.EthernetSource);
        Assert.Equal(vm2, _context.CurrentKey.EthernetDestination);
        Assert.Equal(29, _context.CurrentKey.NetworkTtl);
        Assert.Contains(_router.ArpTag(IPv4Address.Parse("198.18.2.7")), _context.Tags);
        var actions = _context.BuildActions([7u]).ToString();
        Assert.Contains("dec_ttl", actions, StringComparison.OrdinalIgnoreCase);
        // Mask minimality: no ECMP, so a routed flow never matches L4 ports (nor TTL).
        var mask = _context.Mask.Bits;
        Assert.Equal(0, mask.TransportSource);
        Assert.Equal(0, mask.TransportDestination);
        Assert.Equal(0, mask.NetworkTtl);
        Assert.Equal(0, mask.NetworkProtocol);
    }

    [Fact]
    public void An_unanswered_ARP_request_times_out_with_host_unreachable()
    {
        var packet = Udp("198.18.2.7");
        Assert.Equal(VerdictKind.Pending, Simulate(packet).Kind);
        _time.Now += TimeSpan.FromSeconds(1.5);
        Assert.Equal(VerdictKind.Pending, Simulate(packet).Kind);
        Assert.Single(_context.Emitted); // asked again after the request interval
        _time.Now += TimeSpan.FromSeconds(1.5);
        var verdict = Simulate(packet);
        Assert.Equal(VerdictKind.Drop, verdict.Kind);
        var (port, frame) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("p1"), port);
        Assert.Equal((IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeHostUnreachable), (Icmp(frame).Type, Icmp(frame).Code));
    }
}
