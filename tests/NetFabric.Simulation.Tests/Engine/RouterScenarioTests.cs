using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Devices;

namespace NetFabric.Simulation.Tests.Engine;

using NetFabric.Simulation.Topology;
using static NetFabric.Simulation.Tests.Topology.TwoSubnets;

public class RouterScenarioTests
{
    private static TopologySnapshot TwoSubnets() => Topology.TwoSubnets.Builder().Build();

    private static byte[] Udp()
    {
        var frame = new byte[128];
        int length = IpFrames.WriteUdp(frame, Vm1Mac, GatewayMac1, Vm1Ip, Vm2Ip, 4000, 5000, new byte[10]);
        return frame[..length];
    }

    private static byte[] ArpReplyFromVm2()
    {
        var frame = new byte[ArpFrames.Length];
        ArpFrames.WriteReply(frame, Vm2Mac, Vm2Ip, GatewayMac2, Gateway2Ip);
        return frame;
    }

    [Fact]
    public void A_packet_parked_on_ARP_is_routed_to_the_other_subnet_once_the_reply_is_learned()
    {
        var topology = TwoSubnets();
        using var net = new VirtualNetwork(topology);
        var router = (Router)net.Engine.Device(topology.Device("r1").Id);

        net.Send("vm1", Udp());
        // The packet is parked; what reaches vm2's subnet meanwhile is the router's ARP request for vm2.
        var request = Assert.Single(net.Receive("vm2"));
        Assert.True(EthernetHeader.TryRead(request, out var requestEthernet));
        Assert.True(ArpPacket.TryRead(requestEthernet.Payload, out var arp));
        Assert.Equal(ArpPacket.OperationRequest, arp.Operation);
        Assert.Equal(Vm2Ip, arp.TargetProtocolAddress);
        Assert.True(router.ArpCache.IsPending(Vm2Ip));

        net.Send("vm2", ArpReplyFromVm2());
        Assert.True(router.ArpCache.TryGet(Vm2Ip, out var learned));
        Assert.Equal(Vm2Mac, learned);

        var frame = Assert.Single(net.ReceiveAfterPolls("vm2"));
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        Assert.Equal(GatewayMac2, ethernet.Source);
        Assert.Equal(Vm2Mac, ethernet.Destination);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.Equal(63, ip.TimeToLive);
        Assert.True(ip.IsChecksumValid);
        Assert.Equal(Vm1Ip, ip.Source);
        Assert.Equal(Vm2Ip, ip.Destination);
        Assert.Empty(net.Receive("vm1"));

        // Later packets of the flow are routed straight away.
        net.Send("vm1", Udp());
        Assert.Single(net.Receive("vm2"));
    }

    [Fact]
    public void An_unanswered_ARP_request_makes_the_router_answer_host_unreachable_via_the_pipeline()
    {
        var topology = TwoSubnets();
        using var net = new VirtualNetwork(topology);
        net.Send("vm1", Udp());
        // Parked packets are retried every 200 ms; the router gives up 2.5 s after its first request.
        List<byte[]> received = [];
        for (int i = 0; i < 20 && received.Count == 0; i++)
        {
            Thread.Sleep(250);
            net.Pipeline.Poll();
            received = net.Receive("vm1");
        }
        Assert.NotEmpty(received);
        Assert.True(EthernetHeader.TryRead(received[0], out var ethernet));
        Assert.Equal(Vm1Mac, ethernet.Destination);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.True(IcmpV4Header.TryRead(ip.Payload, out var icmp));
        Assert.Equal((IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeHostUnreachable), (icmp.Type, icmp.Code));
    }

    [Fact]
    public void The_router_ARP_request_reaches_the_destination_subnet()
    {
        using var net = new VirtualNetwork(TwoSubnets());
        net.Send("vm1", Udp());
        var frame = Assert.Single(net.Receive("vm2"));
        Assert.True(EthernetHeader.TryRead(frame, out var ethernet));
        Assert.True(ArpPacket.TryRead(ethernet.Payload, out var arp));
        Assert.Equal(ArpPacket.OperationRequest, arp.Operation);
        Assert.Equal(GatewayMac2, arp.SenderHardwareAddress);
        Assert.Equal(Vm2Ip, arp.TargetProtocolAddress);
    }

    [Fact]
    public void A_packet_whose_TTL_expires_at_the_router_gets_ICMP_time_exceeded_from_the_ingress_port()
    {
        var topology = TwoSubnets();
        using var net = new VirtualNetwork(topology);
        // Resolve vm2 first so the routed flow is cached: the expiry is then caught by the flow's dec_ttl action.
        net.Send("vm1", Udp());
        net.Receive("vm2");
        net.Send("vm2", ArpReplyFromVm2());
        Assert.Single(net.ReceiveAfterPolls("vm2"));
        net.Receive("vm1");

        var frame = new byte[128];
        int length = IpFrames.WriteUdp(frame, Vm1Mac, GatewayMac1, Vm1Ip, Vm2Ip, 4000, 5000, new byte[10], timeToLive: 1);
        net.Send("vm1", frame[..length]);

        Assert.Empty(net.Receive("vm2"));
        var error = Assert.Single(net.Receive("vm1"));
        Assert.True(EthernetHeader.TryRead(error, out var ethernet));
        Assert.Equal(Vm1Mac, ethernet.Destination);
        Assert.Equal(GatewayMac1, ethernet.Source);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.Equal(IPv4Address.Parse("198.18.1.1"), ip.Source);
        Assert.Equal(Vm1Ip, ip.Destination);
        Assert.True(IcmpV4Header.TryRead(ip.Payload, out var icmp));
        Assert.Equal(IcmpV4Header.TypeTimeExceeded, icmp.Type);
        Assert.True(icmp.IsChecksumValid);
        // The expiry was answered one-shot: no flow matches on the TTL, and the next packet is routed as before.
        Assert.DoesNotContain(net.Pipeline.Flows.Entries, f => f.Match.Mask.Bits.NetworkTtl != 0);
        net.Send("vm1", Udp());
        var routed = Assert.Single(net.Receive("vm2"));
        Assert.True(EthernetHeader.TryRead(routed, out var routedEthernet));
        Assert.True(Ipv4Header.TryRead(routedEthernet.Payload, out var routedIp));
        Assert.Equal(63, routedIp.TimeToLive);
    }

    [Fact]
    public void Time_exceeded_from_the_second_router_is_routed_back_through_the_first_to_the_sender()
    {
        var topology = new TopologyBuilder()
            .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("up").StaticArp("198.18.1.10", "02:00:00:00:00:0a"))
            .Bridge("br2", b => b.Port("vm2", exterior: "vm2").Port("up").StaticArp("198.18.2.20", "02:00:00:00:00:14"))
            .Router("ra", r => r
                .Port("p1", mac: "02:00:00:00:01:01", address: "198.18.1.1/24")
                .Port("p2", mac: "02:00:00:00:0a:01", address: "198.18.10.1/30")
                .Route("198.18.2.0/24", port: "p2", gateway: "198.18.10.2"))
            .Router("rb", r => r
                .Port("p1", mac: "02:00:00:00:0b:01", address: "198.18.10.2/30")
                .Port("p2", mac: "02:00:00:00:02:01", address: "198.18.2.1/24")
                .Route("198.18.1.0/24", port: "p1", gateway: "198.18.10.1"))
            .Link("br1/up", "ra/p1")
            .Link("ra/p2", "rb/p1")
            .Link("rb/p2", "br2/up")
            .Build();
        using var net = new VirtualNetwork(topology);
        byte[] Packet(byte ttl)
        {
            var frame = new byte[128];
            return frame[..IpFrames.WriteUdp(frame, Vm1Mac, GatewayMac1, Vm1Ip, Vm2Ip, 4000, 5000, new byte[10], timeToLive: ttl)];
        }

        net.Send("vm1", Packet(64));
        var crossed = Assert.Single(net.Receive("vm2"));
        Assert.True(EthernetHeader.TryRead(crossed, out var crossedEthernet));
        Assert.True(Ipv4Header.TryRead(crossedEthernet.Payload, out var crossedIp));
        Assert.Equal(62, crossedIp.TimeToLive); // two router hops, one dec_ttl(2) action

        net.Send("vm1", Packet(2)); // survives ra, expires at rb
        Assert.Empty(net.Receive("vm2"));
        var error = Assert.Single(net.Receive("vm1"));
        Assert.True(EthernetHeader.TryRead(error, out var ethernet));
        Assert.Equal(Vm1Mac, ethernet.Destination);
        Assert.Equal(GatewayMac1, ethernet.Source); // routed back by ra
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.Equal(IPv4Address.Parse("198.18.10.2"), ip.Source);
        Assert.True(IcmpV4Header.TryRead(ip.Payload, out var icmp));
        Assert.Equal(IcmpV4Header.TypeTimeExceeded, icmp.Type);
    }
}
