using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Devices;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.State;
using NetFabric.Simulation.Tests.Engine;

namespace NetFabric.Simulation.Tests.Devices;

using NetFabric.Simulation.Topology;

public class RouterSingleHostTests
{
    private static readonly MacAddress PortA = MacAddress.Parse("02:00:00:00:0a:01");
    private static readonly MacAddress PortB = MacAddress.Parse("02:00:00:00:0b:01");
    private static readonly MacAddress PortC = MacAddress.Parse("02:00:00:00:0c:01");
    private static readonly MacAddress VmA = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly MacAddress VmB = MacAddress.Parse("02:00:00:00:00:0b");
    private static readonly MacAddress VmC = MacAddress.Parse("02:00:00:00:00:0c");
    private static readonly IPv4Address Gateway = IPv4Address.Parse("198.18.0.1");
    private static readonly IPv4Address IpA = IPv4Address.Parse("198.18.0.10");
    private static readonly IPv4Address IpB = IPv4Address.Parse("198.18.0.20");
    private static readonly IPv4Address IpC = IPv4Address.Parse("198.18.0.30");

    /// Three VMs, one per single-host port, all on 198.18.0.1/24 (vm-c placed by a configured /32 route), and an
    /// ordinary uplink port.
    private static TopologySnapshot SharedSubnet() => new TopologyBuilder()
        .Router("r1", r => r
            .Port("vm-a", mac: "02:00:00:00:0a:01", address: "198.18.0.1/24", exterior: "vm-a", singleHost: true)
            .Port("vm-b", mac: "02:00:00:00:0b:01", address: "198.18.0.1/24", exterior: "vm-b", singleHost: true)
            .Port("vm-c", mac: "02:00:00:00:0c:01", address: "198.18.0.1/24", exterior: "vm-c", singleHost: true)
            .Port("up", mac: "02:00:00:00:09:01", address: "198.18.9.1/24", exterior: "up")
            .Route("198.18.0.30/32", port: "vm-c"))
        .Build();

    private readonly TopologySnapshot _topology = SharedSubnet();
    private readonly ManualTime _time = new();
    private readonly Router _router;
    private readonly SimulationContext _context = new();

    public RouterSingleHostTests() => _router = new Router((RouterDefinition)_topology.Device("r1"), _topology, new ArpCache(_time));

    private ulong Port(string name) => _topology.Port("r1/" + name).Id.Value;

    private static byte[] Udp(MacAddress source, MacAddress destination, IPv4Address from, IPv4Address to, byte ttl = 64)
    {
        var frame = new byte[128];
        return frame[..IpFrames.WriteUdp(frame, source, destination, from, to, 4000, 5000, new byte[10], timeToLive: ttl)];
    }

    private static byte[] ArpRequest(MacAddress sender, IPv4Address from, IPv4Address target)
    {
        var frame = new byte[ArpFrames.Length];
        ArpFrames.WriteRequest(frame, sender, from, target);
        return frame;
    }

    private static byte[] EchoRequest(MacAddress source, MacAddress destination, IPv4Address from, IPv4Address to)
    {
        var frame = new byte[64];
        int offset = EthernetHeader.Write(frame, destination, source, EtherType.IPv4);
        offset += Ipv4Header.Write(frame.AsSpan(offset), from, to, IpProtocol.Icmp, IcmpV4Header.Length);
        IcmpV4Header.Write(frame.AsSpan(offset), IcmpV4Header.TypeEchoRequest, 0, 0x0001_0001);
        IcmpV4Header.SetChecksum(frame.AsSpan(offset, IcmpV4Header.Length));
        return frame[..(offset + IcmpV4Header.Length)];
    }

    private DeviceVerdict Simulate(byte[] frame, string port)
    {
        FlowKey.Extract(frame, 1, out var key);
        _context.Reset(key, frame);
        return _router.Process(_context, Port(port));
    }

    private static ArpPacket Arp(byte[] frame, out EthernetHeader ethernet)
    {
        Assert.True(EthernetHeader.TryRead(frame, out ethernet));
        Assert.True(ArpPacket.TryRead(ethernet.Payload, out var arp));
        return arp;
    }

    [Fact]
    public void An_ARP_request_for_another_VM_is_answered_with_the_ingress_port_MAC()
    {
        var verdict = Simulate(ArpRequest(VmA, IpA, IpB), "vm-a");

        Assert.Equal(VerdictKind.Consume, verdict.Kind);
        var (port, reply) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("vm-a"), port);
        var arp = Arp(reply, out var ethernet);
        Assert.Equal(VmA, ethernet.Destination);
        Assert.Equal(PortA, ethernet.Source);
        Assert.Equal(ArpPacket.OperationReply, arp.Operation);
        Assert.Equal(PortA, arp.SenderHardwareAddress);
        Assert.Equal(IpB, arp.SenderProtocolAddress);
        Assert.Equal(VmA, arp.TargetHardwareAddress);
        Assert.Equal(IpA, arp.TargetProtocolAddress);
        // The requester's own sighting is learned on the way.
        Assert.True(_router.HostLocations.TryGetPort(IpA, out ulong behind));
        Assert.Equal(Port("vm-a"), behind);
    }

    [Fact]
    public void An_ARP_request_for_the_shared_gateway_address_is_answered_out_of_each_port_with_its_own_MAC()
    {
        Simulate(ArpRequest(VmB, IpB, Gateway), "vm-b");
        var (port, reply) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("vm-b"), port);
        var arp = Arp(reply, out _);
        Assert.Equal(PortB, arp.SenderHardwareAddress);
        Assert.Equal(Gateway, arp.SenderProtocolAddress);
    }

    [Theory]
    [InlineData("198.18.0.10", "198.18.0.10")] // gratuitous: an announcement of the sender's own address
    [InlineData("0.0.0.0", "198.18.0.10")] // a probe (RFC 5227)
    [InlineData("198.18.0.10", "198.18.0.255")] // the subnet's broadcast address
    [InlineData("198.18.0.10", "198.18.7.7")] // outside the port's subnet
    public void Gratuitous_ARP_probes_and_addresses_that_are_not_hosts_of_the_subnet_are_not_answered(string sender, string target)
    {
        var verdict = Simulate(ArpRequest(VmA, IPv4Address.Parse(sender), IPv4Address.Parse(target)), "vm-a");
        Assert.Equal(VerdictKind.Drop, verdict.Kind);
        Assert.Empty(_context.Emitted);
    }

    [Fact]
    public void A_gratuitous_ARP_teaches_where_the_host_sits()
    {
        Simulate(ArpRequest(VmB, IpB, IpB), "vm-b");
        Assert.True(_router.HostLocations.TryGetPort(IpB, out ulong behind));
        Assert.Equal(Port("vm-b"), behind);
        Assert.Contains(_router.HostTag(IpB), _context.Tags);
    }

    [Fact]
    public void An_ARP_request_on_an_ordinary_port_for_another_address_is_not_proxied()
    {
        var verdict = Simulate(ArpRequest(VmA, IPv4Address.Parse("198.18.9.10"), IPv4Address.Parse("198.18.9.20")), "up");
        Assert.Equal(VerdictKind.Drop, verdict.Kind);
        Assert.Empty(_context.Emitted);
    }

    [Fact]
    public void A_packet_to_a_VM_learned_behind_another_port_is_routed_there_with_its_MACs_rewritten()
    {
        // vm-b shows itself (an echo to the gateway), and its MAC is known.
        Simulate(EchoRequest(VmB, PortB, IpB, Gateway), "vm-b");
        _router.ArpCache.AddStatic(IpB, VmB);

        var verdict = Simulate(Udp(VmA, PortA, IpA, IpB, ttl: 30), "vm-a");

        Assert.Equal(VerdictKind.Forward, verdict.Kind);
        Assert.Equal(Port("vm-b"), Assert.Single(verdict.Ports));
        Assert.Equal(PortB, _context.CurrentKey.EthernetSource);
        Assert.Equal(VmB, _context.CurrentKey.EthernetDestination);
        Assert.Equal(29, _context.CurrentKey.NetworkTtl);
        Assert.Equal(1, _context.TtlDecrements);
        // The port depends on this very host: the whole destination is matched, and the flow carries its location
        // tag — and that of the sender, learned at vm-a.
        Assert.Equal(0xFFFF_FFFFUL, _context.Mask.Bits.NetworkDestination.Lower);
        Assert.Contains(_router.HostTag(IpB), _context.Tags);
        Assert.Contains(_router.HostTag(IpA), _context.Tags);
        Assert.Contains(_router.ArpTag(IpB), _context.Tags);
        Assert.Equal(0, _context.Mask.Bits.TransportSource);
        Assert.Equal(0, _context.Mask.Bits.NetworkTtl);
    }

    [Fact]
    public void A_configured_host_route_places_a_VM_without_learning()
    {
        _router.ArpCache.AddStatic(IpC, VmC);

        var verdict = Simulate(Udp(VmA, PortA, IpA, IpC), "vm-a");

        Assert.Equal(VerdictKind.Forward, verdict.Kind);
        Assert.Equal(Port("vm-c"), Assert.Single(verdict.Ports));
        Assert.Equal(PortC, _context.CurrentKey.EthernetSource);
        Assert.Equal(VmC, _context.CurrentKey.EthernetDestination);
        Assert.False(_router.HostLocations.TryGetPort(IpC, out _));
        Assert.DoesNotContain(_router.HostTag(IpC), _context.Tags);
    }

    [Fact]
    public void An_unknown_VM_is_looked_for_out_of_every_sharing_port_and_its_reply_teaches_MAC_and_location()
    {
        var packet = Udp(VmA, PortA, IpA, IpB);
        var verdict = Simulate(packet, "vm-a");

        Assert.Equal(VerdictKind.Pending, verdict.Kind);
        Assert.Equal([Port("vm-a"), Port("vm-b"), Port("vm-c")], _context.Emitted.Select(e => e.Port).Order());
        foreach (var (port, frame) in _context.Emitted)
        {
            var request = Arp(frame, out var ethernet);
            Assert.True(ethernet.Destination.IsBroadcast);
            Assert.Equal(ArpPacket.OperationRequest, request.Operation);
            Assert.Equal(port == Port("vm-a") ? PortA : port == Port("vm-b") ? PortB : PortC, request.SenderHardwareAddress);
            Assert.Equal(Gateway, request.SenderProtocolAddress);
            Assert.Equal(IpB, request.TargetProtocolAddress);
        }

        var reply = new byte[ArpFrames.Length];
        ArpFrames.WriteReply(reply, VmB, IpB, PortB, Gateway);
        Assert.Equal(VerdictKind.Consume, Simulate(reply, "vm-b").Kind);
        Assert.True(_router.HostLocations.TryGetPort(IpB, out ulong behind));
        Assert.Equal(Port("vm-b"), behind);

        verdict = Simulate(packet, "vm-a");
        Assert.Equal(VerdictKind.Forward, verdict.Kind);
        Assert.Equal(Port("vm-b"), Assert.Single(verdict.Ports));
        Assert.Equal(VmB, _context.CurrentKey.EthernetDestination);
    }

    [Fact]
    public void An_unknown_VM_that_never_answers_gets_host_unreachable_from_the_ingress_port()
    {
        var packet = Udp(VmA, PortA, IpA, IpB);
        Assert.Equal(VerdictKind.Pending, Simulate(packet, "vm-a").Kind);
        _time.Now += TimeSpan.FromSeconds(3);

        var verdict = Simulate(packet, "vm-a");

        Assert.Equal(VerdictKind.Drop, verdict.Kind);
        var (port, frame) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("vm-a"), port);
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.True(IcmpV4Header.TryRead(ip.Payload, out var icmp));
        Assert.Equal((IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeHostUnreachable), (icmp.Type, icmp.Code));
    }

    [Fact]
    public void An_echo_request_to_the_shared_port_address_is_answered_out_of_the_ingress_port()
    {
        var verdict = Simulate(EchoRequest(VmB, PortB, IpB, Gateway), "vm-b");

        Assert.Equal(VerdictKind.Consume, verdict.Kind);
        var (port, frame) = Assert.Single(_context.Emitted);
        Assert.Equal(Port("vm-b"), port);
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        Assert.Equal(PortB, ethernet.Source);
        Assert.Equal(VmB, ethernet.Destination);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.Equal(Gateway, ip.Source);
        Assert.Equal(IpB, ip.Destination);
        Assert.True(IcmpV4Header.TryRead(ip.Payload, out var icmp));
        Assert.Equal(IcmpV4Header.TypeEchoReply, icmp.Type);
    }

    [Fact]
    public void A_host_seen_behind_another_port_moves_and_reports_the_change_for_its_flows()
    {
        var changed = new List<IPv4Address>();
        _router.HostLocations.LocationChanged += changed.Add;
        _router.ArpCache.AddStatic(IpB, VmB);
        Simulate(Udp(VmB, PortB, IpB, IpA), "vm-b");
        var fromB = _context.Tags.ToArray();
        Simulate(Udp(VmA, PortA, IpA, IpB), "vm-a");
        var toB = _context.Tags.ToArray();
        Assert.Equal([IpB, IpA], changed);
        // Both the flow from vm-b at its old port and the flow to it rely on its location.
        Assert.Contains(_router.HostTag(IpB), fromB);
        Assert.Contains(_router.HostTag(IpB), toB);

        // Seen again where it is: nothing changes.
        Simulate(Udp(VmB, PortB, IpB, IpA), "vm-b");
        Assert.Equal(2, changed.Count);

        // It migrates behind vm-c.
        Simulate(Udp(VmB, PortC, IpB, IpA), "vm-c");
        Assert.Equal([IpB, IpA, IpB], changed);
        var verdict = Simulate(Udp(VmA, PortA, IpA, IpB), "vm-a");
        Assert.Equal(Port("vm-c"), Assert.Single(verdict.Ports));
        Assert.Equal(PortC, _context.CurrentKey.EthernetSource);
    }

    [Fact]
    public void Flows_entering_an_ordinary_port_do_not_read_the_source_and_a_foreign_source_is_read_only_to_its_first_difference()
    {
        Simulate(EchoRequest(VmB, PortB, IpB, Gateway), "vm-b");
        _router.ArpCache.AddStatic(IpB, VmB);

        var verdict = Simulate(Udp(VmA, MacAddress.Parse("02:00:00:00:09:01"), IPv4Address.Parse("198.18.9.10"), IpB), "up");
        Assert.Equal(Port("vm-b"), Assert.Single(verdict.Ports));
        Assert.Equal(0UL, _context.Mask.Bits.NetworkSource.Lower);

        // A source outside 198.18.0.0/24 arriving on a sharing port: read up to the bit that rules it out, not learned.
        var count = _router.HostLocations.Count;
        verdict = Simulate(Udp(VmA, PortA, IPv4Address.Parse("198.18.128.1"), IpB), "vm-a");
        Assert.Equal(VerdictKind.Forward, verdict.Kind);
        Assert.Equal(0xFFFF_8000UL, _context.Mask.Bits.NetworkSource.Lower);
        Assert.Equal(count, _router.HostLocations.Count);
    }

    [Fact]
    public void A_lone_single_host_port_learns_nothing_and_routes_its_subnet_by_prefix()
    {
        var topology = new TopologyBuilder()
            .Router("r1", r => r
                .Port("vm", mac: "02:00:00:00:0a:01", address: "198.18.0.1/24", exterior: "vm", singleHost: true)
                .Port("up", mac: "02:00:00:00:09:01", address: "198.18.9.1/24", exterior: "up"))
            .Build();
        var router = new Router((RouterDefinition)topology.Device("r1"), topology);
        router.ArpCache.AddStatic(IpB, VmB);
        FlowKey.Extract(Udp(VmA, PortA, IpA, IpB), 1, out var key);
        _context.Reset(key);

        var verdict = router.Process(_context, topology.Port("r1/vm").Id.Value);

        Assert.Equal(VerdictKind.Forward, verdict.Kind);
        Assert.Equal(0, router.HostLocations.Count);
        Assert.Equal(0UL, _context.Mask.Bits.NetworkSource.Lower);
    }

    /// Through the decision engine and a pipeline: proxy ARP, location by ARP flooding, routing, and a move.
    [Fact]
    public void Two_VMs_sharing_a_subnet_reach_each_other_through_the_router_via_the_pipeline()
    {
        var topology = SharedSubnet();
        using var net = new VirtualNetwork(topology);
        var router = (Router)net.Engine.Device(topology.Device("r1").Id);
        // What DecisionEngine.CreateRouter is to wire (see the report): a move invalidates the flows tagged with it.
        router.HostLocations.LocationChanged += address => net.Pipeline.Flows.InvalidateByTag(router.HostTag(address));

        net.Send("vm-a", ArpRequest(VmA, IpA, IpB));
        var arp = Arp(Assert.Single(net.Receive("vm-a")), out _);
        Assert.Equal(PortA, arp.SenderHardwareAddress);
        Assert.Equal(IpB, arp.SenderProtocolAddress);

        net.Send("vm-a", EchoRequest(VmA, PortA, IpA, Gateway));
        Assert.True(EthernetHeader.TryRead(Assert.Single(net.Receive("vm-a")), out var echo));
        Assert.True(Ipv4Header.TryRead(echo.Payload, out var echoIp));
        Assert.True(IcmpV4Header.TryRead(echoIp.Payload, out var echoIcmp));
        Assert.Equal(IcmpV4Header.TypeEchoReply, echoIcmp.Type);

        // vm-b is unknown: the router asks every sharing port; vm-b answers.
        net.Send("vm-a", Udp(VmA, PortA, IpA, IpB));
        var request = Arp(Assert.Single(net.Receive("vm-b")), out _);
        Assert.Equal(IpB, request.TargetProtocolAddress);
        Assert.Single(net.Receive("vm-c"));
        var reply = new byte[ArpFrames.Length];
        ArpFrames.WriteReply(reply, VmB, IpB, PortB, Gateway);
        net.Send("vm-b", reply);

        var routed = Assert.Single(net.ReceiveAfterPolls("vm-b"));
        Assert.True(EthernetHeader.TryRead(routed, out var ethernet));
        Assert.Equal(PortB, ethernet.Source);
        Assert.Equal(VmB, ethernet.Destination);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.Equal(63, ip.TimeToLive);
        Assert.True(ip.IsChecksumValid);
        Assert.Equal(IpA, ip.Source);
        Assert.Equal(IpB, ip.Destination);

        // Cached now: the next packet goes straight through.
        net.Send("vm-a", Udp(VmA, PortA, IpA, IpB));
        Assert.Single(net.Receive("vm-b"));
        Assert.Contains(net.Pipeline.Flows.Entries, f => f.Tags.Contains(router.HostTag(IpB)));

        // vm-b migrates behind vm-c and announces itself: the cached flow to its old port goes.
        int flows = net.Pipeline.Flows.Entries.Count(f => f.Tags.Contains(router.HostTag(IpB)));
        net.Send("vm-c", ArpRequest(VmB, IpB, IpB));
        Assert.True(net.Pipeline.Flows.Entries.Count(f => f.Tags.Contains(router.HostTag(IpB))) <= 1, "only the announcement's own drop flow may remain");
        Assert.True(flows >= 1);
        net.Send("vm-a", Udp(VmA, PortA, IpA, IpB));
        Assert.Empty(net.Receive("vm-b"));
        Assert.True(EthernetHeader.TryRead(Assert.Single(net.Receive("vm-c")), out var moved));
        Assert.Equal(PortC, moved.Source);
        Assert.Equal(VmB, moved.Destination);
    }
}
