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

        ExchangeWithKernel(net, ns, port, pool, expectedInPort: 5);
    }

    [Fact]
    public void A_net_tap_port_moved_into_a_namespace_exchanges_arp_and_a_datagram_with_its_kernel()
    {
        NetworkNamespaces.SkipUnlessRoot();
        var runtime = fixture.Require();
        using var net = new NetworkNamespaces();
        string ns = net.Name("t1"), tap = net.Name("tp1");
        net.CreateNamespace(ns);
        using var pool = new PacketPool(16);
        // DPDK creates the tap interface in this namespace; the kernel end is then moved where the test's traffic
        // lives, while the port keeps its file descriptor.
        using var port = DpdkPort.Create(runtime, $"net_tap_{tap},iface={tap}", new DpdkPortOptions { InPort = 6, RxDescriptors = 256, TxDescriptors = 256 });
        Assert.Equal("net_tap", port.DriverName);
        Assert.False(port.SuppressesGCTransition);
        NetworkNamespaces.Run("ip", "link", "set", tap, "netns", ns);
        net.Exec(ns, "sysctl", "-qw", $"net.ipv6.conf.{tap}.disable_ipv6=1");
        net.Exec(ns, "ip", "link", "set", tap, "address", HostMac.ToString());
        net.Exec(ns, "ip", "address", "add", $"{HostIp}/24", "dev", tap);
        // A tap's operational state stays "unknown" (it has no carrier to report): no waiting for "up" here.
        net.Exec(ns, "ip", "link", "set", tap, "up");
        ExchangeWithKernel(net, ns, port, pool, expectedInPort: 6);
    }

    // The kernel in ns sends a datagram to PortIp: the port must see its ARP request, answer it, then get the datagram.
    private static void ExchangeWithKernel(NetworkNamespaces net, string ns, DpdkPort port, PacketPool pool, uint expectedInPort)
    {
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
                Assert.Equal(expectedInPort, buffer.InPort);
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
