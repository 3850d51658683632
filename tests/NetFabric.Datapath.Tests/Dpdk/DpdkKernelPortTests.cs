using System.Diagnostics;
using System.Text;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Protocols;
using NetFabric.Testing;

namespace NetFabric.Datapath.Tests.Dpdk;

/// DPDK's net_af_packet driver on the root end of a veth whose other end is in a namespace the test creates: the
/// kernel's own traffic, through a port whose bursts make system calls (so they keep the GC transition).
[Collection("Dpdk")]
public class DpdkKernelPortTests(DpdkFixture fixture)
{
    private static readonly MacAddress HostMac = MacAddress.Parse("02:00:5e:10:00:21");
    private static readonly IPv4Address HostIp = new(198, 18, 0, 1);
    private static readonly MacAddress PortMac = MacAddress.Parse("02:00:5e:10:00:aa");
    private static readonly IPv4Address PortIp = new(198, 18, 0, 10);

    [Fact]
    public void A_net_af_packet_port_answers_the_kernels_arp_request_and_then_receives_its_datagram()
    {
        NetworkNamespaces.SkipUnlessRoot();
        var runtime = fixture.Require();
        using var net = new NetworkNamespaces();
        string ns = net.Name("d1"), root = net.Name("dr1");
        net.CreateHost(ns, root, net.Name("dn1"), $"{HostIp}/24", HostMac.ToString());
        using var pool = new PacketPool(16);
        using var port = DpdkPort.Create(runtime, $"net_af_packet_{root},iface={root}", new DpdkPortOptions { InPort = 5, RxDescriptors = 256, TxDescriptors = 256 });
        Assert.Equal("net_af_packet", port.DriverName);
        Assert.False(port.SuppressesGCTransition);

        net.Exec(ns, "bash", "-c", $"echo hello > /dev/udp/{PortIp}/9");
        byte[]? datagram = null;
        bool answered = false;
        var burst = new PacketBuffer[PacketBatch.MaximumSize];
        var clock = Stopwatch.StartNew();
        while (datagram is null && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            int count = port.RxBurst(0, burst);
            foreach (var buffer in burst.AsSpan(0, count))
            {
                Assert.Equal(5u, buffer.InPort);
                byte[] frame = buffer.Data.ToArray();
                buffer.Release();
                if (IsArpRequestFor(frame, PortIp))
                {
                    var reply = new byte[64];
                    Assert.True(ArpFrames.TryWriteReplyTo(reply, frame, PortMac, out int written));
                    Assert.Equal(1, DpdkTraffic.SendFromPool(port, pool, [reply[..written]]));
                    answered = true;
                }
                else if (IsUdpTo(frame, PortMac, 9))
                {
                    datagram = frame;
                }
            }
            if (count == 0) Thread.Sleep(1);
        }

        Assert.True(answered, "no ARP request for the port's address arrived");
        Assert.NotNull(datagram);
        Assert.True(EthernetHeader.TryRead(datagram, out var ethernet));
        Assert.Equal(HostMac, ethernet.Source);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.True(UdpHeader.TryRead(ip.Payload, out var udp));
        Assert.Equal("hello\n", Encoding.ASCII.GetString(udp.Payload));
        Assert.Equal(pool.Count, pool.Available);
        Assert.True(port.Statistics.TxPackets >= 1);
    }

    private static bool IsArpRequestFor(byte[] frame, IPv4Address target) =>
        EthernetHeader.TryRead(frame, out var ethernet) && ethernet.EtherType == EtherType.Arp && ethernet.Source == HostMac
        && ArpPacket.TryRead(ethernet.Payload, out var arp) && arp.Operation == ArpPacket.OperationRequest && arp.TargetProtocolAddress == target;

    private static bool IsUdpTo(byte[] frame, MacAddress destination, ushort port) =>
        EthernetHeader.TryRead(frame, out var ethernet) && ethernet.Destination == destination && ethernet.EtherType == EtherType.IPv4
        && Ipv4Header.TryRead(ethernet.Payload, out var ip) && ip.Protocol == IpProtocol.Udp
        && UdpHeader.TryRead(ip.Payload, out var udp) && udp.DestinationPort == port;
}
