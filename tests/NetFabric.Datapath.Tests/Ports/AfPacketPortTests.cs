using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;
using NetFabric.Datapath.Tests.Support;
using NetFabric.Testing;

namespace NetFabric.Datapath.Tests.Ports;

/// Real traffic through real veth interfaces: each test builds its own namespaces (deleted on dispose, also when an
/// assertion fails) and needs root and iproute2; elsewhere the tests are skipped. Waits are bounded polls of a few
/// seconds, never assertions on time.
public class AfPacketPortTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    private static readonly MacAddress Host1Mac = MacAddress.Parse("02:00:5e:10:00:01");
    private static readonly IPv4Address Host1Ip = new(198, 18, 0, 1);
    private static readonly MacAddress Host2Mac = MacAddress.Parse("02:00:5e:10:00:02");
    private static readonly IPv4Address Host2Ip = new(198, 18, 0, 2);
    // The address the tests impersonate through the port, on host 1's subnet.
    private static readonly MacAddress PortMac = MacAddress.Parse("02:00:5e:10:00:aa");
    private static readonly IPv4Address PortIp = new(198, 18, 0, 10);

    [Fact]
    public void A_datagram_sent_by_a_namespaces_kernel_is_received_on_the_root_end_of_its_veth()
    {
        NetworkNamespaces.SkipUnlessRoot();
        using var net = new NetworkNamespaces();
        string ns = net.Name("1"), root = net.Name("r1");
        net.CreateHost(ns, root, net.Name("n1"), $"{Host1Ip}/24", Host1Mac.ToString());
        using var pool = new PacketPool(256);
        using var port = new AfPacketPort(root, pool, new AfPacketPortOptions { InPort = 3 });

        // bash's /dev/udp needs no extra package; the kernel first asks who has PortIp, then sends once answered.
        net.Exec(ns, "bash", "-c", $"echo hello > /dev/udp/{PortIp}/9");
        byte[]? datagram = ReceiveUntil(port, frame => IsUdpTo(frame, PortMac, 9), other =>
        {
            if (IsArpRequest(other, Host1Mac, PortIp)) Transmit(port, pool, ArpReplyTo(other));
        }, expectInPort: 3);

        Assert.NotNull(datagram);
        Assert.True(EthernetHeader.TryRead(datagram, out var ethernet));
        Assert.Equal(Host1Mac, ethernet.Source);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.Equal(Host1Ip, ip.Source);
        Assert.True(UdpHeader.TryRead(ip.Payload, out var udp));
        Assert.Equal("hello\n", Encoding.ASCII.GetString(udp.Payload));
        var statistics = port.Statistics;
        Assert.True(statistics.RxPackets >= 2 && statistics.TxPackets >= 1, statistics.ToString());
        Assert.Equal(LinkState.Up, port.LinkState);
    }

    /// With checksum offload on (a veth's default), the sending kernel leaves the UDP/TCP checksum for the "NIC" to
    /// fill in and packet sockets see the frame that way (TP_STATUS_CSUMNOTREADY); the port fills it in, as the
    /// NIC would have, so what it forwards is valid on the wire.
    [Fact]
    public void A_datagram_whose_checksum_the_sender_left_to_the_NIC_arrives_with_it_filled_in()
    {
        NetworkNamespaces.SkipUnlessRoot();
        using var net = new NetworkNamespaces();
        string ns = net.Name("1"), root = net.Name("r1"), inside = net.Name("n1");
        net.CreateHost(ns, root, inside, $"{Host1Ip}/24", Host1Mac.ToString());
        net.Exec(ns, "ethtool", "-K", inside, "tx", "on");
        using var pool = new PacketPool(256);
        using var port = new AfPacketPort(root, pool);

        net.Exec(ns, "bash", "-c", $"echo checksum > /dev/udp/{PortIp}/9");
        byte[]? datagram = ReceiveUntil(port, frame => IsUdpTo(frame, PortMac, 9), other =>
        {
            if (IsArpRequest(other, Host1Mac, PortIp)) Transmit(port, pool, ArpReplyTo(other));
        });

        Assert.NotNull(datagram);
        Assert.True(EthernetHeader.TryRead(datagram, out var ethernet));
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.True(UdpHeader.TryRead(ip.Payload, out var udp));
        Assert.Equal("checksum\n", Encoding.ASCII.GetString(udp.Payload));
        var segment = ip.Payload[..udp.DatagramLength];
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(6)));
        Assert.Equal(0xFFFF, Checksum.Fold(Checksum.Sum(segment, Checksum.PseudoHeaderSum(ip.Source, ip.Destination, IpProtocol.Udp, segment.Length))));
    }

    [Fact]
    public void An_echo_request_transmitted_on_the_port_is_answered_by_the_namespaces_kernel()
    {
        NetworkNamespaces.SkipUnlessRoot();
        using var net = new NetworkNamespaces();
        string ns = net.Name("1"), root = net.Name("r1");
        net.CreateHost(ns, root, net.Name("n1"), $"{Host1Ip}/24", Host1Mac.ToString());
        using var pool = new PacketPool(256);
        using var port = new AfPacketPort(root, pool);
        byte[] request = EchoRequest(PortMac, Host1Mac, PortIp, Host1Ip, identifier: 0x4e46, sequence: 1);

        Transmit(port, pool, request);
        bool sawOwnRequest = false;
        byte[]? reply = ReceiveUntil(port, frame => IsEchoReply(frame, 0x4e46, 1), other =>
        {
            // The reply waits in the kernel's ARP queue until we say who PortIp is.
            if (IsArpRequest(other, Host1Mac, PortIp)) Transmit(port, pool, ArpReplyTo(other));
            sawOwnRequest |= other.AsSpan().SequenceEqual(request);
        });

        Assert.NotNull(reply);
        Assert.True(EthernetHeader.TryRead(reply, out var ethernet));
        Assert.Equal(Host1Mac, ethernet.Source);
        Assert.Equal(PortMac, ethernet.Destination);
        Assert.True(Ipv4Header.TryRead(ethernet.Payload, out var ip));
        Assert.Equal(Host1Ip, ip.Source);
        Assert.Equal(PortIp, ip.Destination);
        // PACKET_IGNORE_OUTGOING: the port never sees its own transmissions.
        Assert.False(sawOwnRequest);
    }

    [Fact]
    public void Two_ports_forwarding_to_each_other_join_two_namespaces_into_one_subnet()
    {
        NetworkNamespaces.SkipUnlessRoot();
        using var net = new NetworkNamespaces();
        string ns1 = net.Name("1"), ns2 = net.Name("2"), root1 = net.Name("r1"), root2 = net.Name("r2");
        net.CreateHost(ns1, root1, net.Name("n1"), $"{Host1Ip}/24", Host1Mac.ToString());
        net.CreateHost(ns2, root2, net.Name("n2"), $"{Host2Ip}/24", Host2Mac.ToString());
        using var pool = new PacketPool(512);
        using var port1 = new AfPacketPort(root1, pool, new AfPacketPortOptions { InPort = 1 });
        using var port2 = new AfPacketPort(root2, pool, new AfPacketPortOptions { InPort = 2 });
        using var stop = new CancellationTokenSource();
        var wire = new Thread(() => Forward(port1, port2, stop.Token)) { IsBackground = true, Name = "veth wire" };
        wire.Start();
        try
        {
            // ns1 asks who has 198.18.0.2 (broadcast through port1 → port2), ns2 answers (port2 → port1).
            net.Exec(ns1, "bash", "-c", $"echo hello > /dev/udp/{Host2Ip}/9");
            string? learned = null;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < Patience && learned?.Contains(Host2Mac.ToString(), StringComparison.OrdinalIgnoreCase) != true)
            {
                Thread.Sleep(50);
                learned = net.Exec(ns1, "ip", "neigh", "show", Host2Ip.ToString()).StandardOutput;
            }

            Assert.Contains(Host2Mac.ToString(), learned ?? "", StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            stop.Cancel();
            wire.Join();
        }
        Assert.True(port1.Statistics.RxPackets >= 1 && port2.Statistics.TxPackets >= 1);
        Assert.True(port2.Statistics.RxPackets >= 1 && port1.Statistics.TxPackets >= 1);
    }

    [Fact]
    public void Frames_sent_on_one_end_of_a_veth_arrive_intact_and_in_order_on_the_other()
    {
        using var net = VethPair(out string a, out string b);
        using var pool = new PacketPool(256);
        using var sender = new AfPacketPort(a, pool);
        using var receiver = new AfPacketPort(b, pool, new AfPacketPortOptions { InPort = 9 });
        byte[][] frames = Enumerable.Range(0, 40).Select(i => Udp(100 + i * 31, (ushort)i)).ToArray();

        Assert.Equal(frames.Length, Transmit(sender, pool, frames));
        var (received, _) = ReceiveOwn(receiver, frames.Length, expectInPort: 9);

        Assert.Equal(frames, received);
        Assert.Equal(0, sender.RxBurst(0, new PacketBuffer[16])); // own transmissions are not received back
        Assert.Equal(frames.Length, sender.Statistics.TxPackets);
        Assert.Equal(frames.Sum(f => (long)f.Length), sender.Statistics.TxBytes);
        Assert.Equal(pool.Count, pool.Available);
    }

    /// The kernel takes an 802.1Q tag out of every frame it receives (into the socket buffer's metadata) before
    /// packet sockets see it; the port puts it back from PACKET_AUXDATA, so a trunk's frames keep their VLAN.
    [Fact]
    public void Tagged_frames_arrive_with_their_tag_and_untagged_ones_without()
    {
        using var net = VethPair(out string a, out string b);
        using var pool = new PacketPool(256);
        using var sender = new AfPacketPort(a, pool);
        using var receiver = new AfPacketPort(b, pool);
        ushort?[] tags = [0x0064, null, 0xE00A, 0x0000, 0x2FFE, null];
        byte[][] frames = [.. tags.Select((tag, i) => TaggedUdp((ushort)i, tag)), QinQ(TaggedUdp(9, 0x0123), outerTci: 0x0456)];

        Assert.Equal(frames.Length, Transmit(sender, pool, frames));
        var (received, bytes) = ReceiveOwn(receiver, frames.Length);

        Assert.Equal(frames, received);
        Assert.Equal(bytes, receiver.Statistics.RxBytes); // counted with the tag put back
        Assert.Equal(pool.Count, pool.Available);
    }

    [Fact]
    public void A_tagged_frame_received_into_a_buffer_without_headroom_is_dropped_and_counted()
    {
        using var net = VethPair(out string a, out string b);
        using var pool = new PacketPool(64);
        using var bare = new PacketPool(64, headroom: 0);
        using var sender = new AfPacketPort(a, pool);
        using var receiver = new AfPacketPort(b, bare);

        Assert.Equal(2, Transmit(sender, pool, TaggedUdp(1, 0x0064), TaggedUdp(2, null)));
        var (received, _) = ReceiveOwn(receiver, 1);

        Assert.Equal([TaggedUdp(2, null)], received);
        Assert.Equal(1, receiver.Statistics.RxDrops);
        Assert.Equal(bare.Count, bare.Available);
    }

    // A veth pair in the root namespace (both ends up, offloads off), removed when the result is disposed.
    private static NetworkNamespaces VethPair(out string a, out string b)
    {
        NetworkNamespaces.SkipUnlessRoot();
        var net = new NetworkNamespaces();
        a = net.Name("a");
        b = net.Name("b");
        try
        {
            net.CreateVethPair(a, b);
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    // Receives until `wanted` frames from PortMac arrived (or patience ran out): those frames, and the bytes of
    // everything received (a fresh link also carries the kernel's own frames, which are otherwise ignored).
    private static (List<byte[]> Frames, long Bytes) ReceiveOwn(AfPacketPort port, int wanted, uint? expectInPort = null)
    {
        var received = new List<byte[]>();
        long bytes = 0;
        var clock = Stopwatch.StartNew();
        var burst = new PacketBuffer[16];
        while (received.Count < wanted && clock.Elapsed < Patience)
        {
            int count = port.RxBurst(0, burst);
            foreach (var buffer in burst.AsSpan(0, count))
            {
                if (expectInPort is { } inPort) Assert.Equal(inPort, buffer.InPort);
                bytes += buffer.Length;
                if (EthernetHeader.TryRead(buffer.Data, out var ethernet) && ethernet.Source == PortMac) received.Add(buffer.Data.ToArray());
                buffer.Release();
            }
            if (count == 0) Thread.Sleep(1);
        }
        return (received, bytes);
    }

    [Fact]
    public void Frames_longer_than_the_pools_buffers_are_counted_as_drops_and_released()
    {
        using var net = VethPair(out string a, out string b);
        using var bigPool = new PacketPool(16);
        using var smallPool = new PacketPool(16, dataSize: 128);
        using var sender = new AfPacketPort(a, bigPool);
        using var receiver = new AfPacketPort(b, smallPool);
        byte[] small = Udp(128, 1), large = Udp(129, 2), after = Udp(60, 3);

        Transmit(sender, bigPool, small, large, after);
        var (received, _) = ReceiveOwn(receiver, 2);

        Assert.Equal(new[] { small, after }, received);
        Assert.True(receiver.Statistics.RxDrops >= 1);
        Assert.Equal(smallPool.Count, smallPool.Available);
    }

    [Fact]
    public void Bursts_statistics_and_link_state_allocate_nothing()
    {
        using var net = VethPair(out string a, out string b);
        using var pool = new PacketPool(512);
        using var sender = new AfPacketPort(a, pool);
        using var receiver = new AfPacketPort(b, pool);
        byte[] frame = Udp(200, 1);
        var transmit = new PacketBuffer[32];
        var receive = new PacketBuffer[PacketBatch.MaximumSize];
        for (int i = 0; i < 20; i++) Round(sender, receiver, pool, frame, transmit, receive); // JIT, pool warm-up
        _ = sender.Statistics;
        _ = receiver.LinkState;

        long received = 0;
        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        while (received < 2_000 && clock.Elapsed < Patience)
            received += Round(sender, receiver, pool, frame, transmit, receive);
        _ = sender.Statistics;
        _ = receiver.LinkState;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(received > 0);
        Assert.Equal(0, allocated);

        static int Round(AfPacketPort sender, AfPacketPort receiver, PacketPool pool, byte[] frame, PacketBuffer[] transmit, PacketBuffer[] receive)
        {
            // No Assert in here: xunit's Assert.Equal allocates a comparer per call.
            if (pool.RentBatch(transmit) != transmit.Length) throw new InvalidOperationException("The pool ran dry.");
            foreach (var buffer in transmit)
            {
                buffer.TrySetLength(frame.Length);
                frame.CopyTo(buffer.Data);
            }
            sender.TxBurst(0, transmit);
            int total = 0, count;
            while ((count = receiver.RxBurst(0, receive)) > 0)
            {
                total += count;
                pool.Return(receive.AsSpan(0, count));
            }
            return total;
        }
    }

    [Fact]
    public void The_link_goes_down_when_the_interface_does()
    {
        using var net = VethPair(out string a, out string b);
        using var pool = new PacketPool(16);
        using var port = new AfPacketPort(a, pool);
        Assert.Equal(LinkState.Up, WaitForLink(port, LinkState.Up));

        // Taking the peer down removes the carrier; the port's cached state refreshes within a second.
        NetworkNamespaces.Run("ip", "link", "set", b, "down");

        Assert.Equal(LinkState.Down, WaitForLink(port, LinkState.Down));
        port.Dispose();
        Assert.Equal(LinkState.Down, port.LinkState);
        Assert.Equal(0, port.RxBurst(0, new PacketBuffer[4]));
        Assert.True(pool.TryRent(out var buffer));
        Assert.Equal(0, port.TxBurst(0, [buffer]));
        Assert.Equal(pool.Count, pool.Available);
    }

    [Fact]
    public void Opening_a_port_on_a_missing_interface_throws_a_PortException_naming_it()
    {
        using var pool = new PacketPool(4);
        string name = "nf-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

        var exception = Assert.Throws<PortException>(() => new AfPacketPort(name, pool));

        Assert.Equal(name, exception.InterfaceName);
        Assert.Contains($"'{name}'", exception.Message);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(19, exception.NativeErrorCode); // ENODEV
            Assert.Contains("errno 19", exception.Message);
            Assert.Contains("ip link show", exception.Message);
        }
    }

    private static void Forward(AfPacketPort first, AfPacketPort second, CancellationToken stop)
    {
        var burst = new PacketBuffer[PacketBatch.MaximumSize];
        while (!stop.IsCancellationRequested)
        {
            int one = first.RxBurst(0, burst);
            if (one > 0) second.TxBurst(0, burst.AsSpan(0, one));
            int two = second.RxBurst(0, burst);
            if (two > 0) first.TxBurst(0, burst.AsSpan(0, two));
            if (one == 0 && two == 0) Thread.Sleep(1);
        }
    }

    private static LinkState WaitForLink(AfPacketPort port, LinkState wanted)
    {
        var clock = Stopwatch.StartNew();
        LinkState state;
        while ((state = port.LinkState) != wanted && clock.Elapsed < Patience) Thread.Sleep(50);
        return state;
    }

    /// Polls <paramref name="port"/> until a frame satisfies <paramref name="match"/> (returned) or the patience runs
    /// out (null); every other frame goes to <paramref name="other"/>.
    private static byte[]? ReceiveUntil(AfPacketPort port, Func<byte[], bool> match, Action<byte[]> other, uint? expectInPort = null)
    {
        var burst = new PacketBuffer[PacketBatch.MaximumSize];
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            int count = port.RxBurst(0, burst);
            byte[]? found = null;
            foreach (var buffer in burst.AsSpan(0, count))
            {
                if (expectInPort is { } inPort) Assert.Equal(inPort, buffer.InPort);
                byte[] frame = buffer.Data.ToArray();
                buffer.Release();
                if (found is null && match(frame)) found = frame;
                else other(frame);
            }
            if (found is not null) return found;
            if (count == 0) Thread.Sleep(1);
        }
        return null;
    }

    private static int Transmit(AfPacketPort port, PacketPool pool, params byte[][] frames)
    {
        var buffers = new PacketBuffer[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.True(pool.TryRent(out buffers[i]));
            Assert.True(buffers[i].TrySetLength(frames[i].Length));
            frames[i].CopyTo(buffers[i].Data);
        }
        return port.TxBurst(0, buffers);
    }

    private static bool IsArpRequest(byte[] frame, MacAddress sender, IPv4Address target) =>
        EthernetHeader.TryRead(frame, out var ethernet) && ethernet.EtherType == EtherType.Arp && ethernet.Source == sender
        && ArpPacket.TryRead(ethernet.Payload, out var arp) && arp.Operation == ArpPacket.OperationRequest && arp.TargetProtocolAddress == target;

    private static byte[] ArpReplyTo(byte[] request)
    {
        var reply = new byte[64];
        Assert.True(ArpFrames.TryWriteReplyTo(reply, request, PortMac, out int written));
        return reply[..written];
    }

    private static bool IsUdpTo(byte[] frame, MacAddress destination, ushort port) =>
        EthernetHeader.TryRead(frame, out var ethernet) && ethernet.Destination == destination && ethernet.EtherType == EtherType.IPv4
        && Ipv4Header.TryRead(ethernet.Payload, out var ip) && ip.Protocol == IpProtocol.Udp
        && UdpHeader.TryRead(ip.Payload, out var udp) && udp.DestinationPort == port;

    private static bool IsEchoReply(byte[] frame, ushort identifier, ushort sequence) =>
        EthernetHeader.TryRead(frame, out var ethernet) && ethernet.EtherType == EtherType.IPv4
        && Ipv4Header.TryRead(ethernet.Payload, out var ip) && ip.Protocol == IpProtocol.Icmp
        && IcmpV4Header.TryRead(ip.Payload, out var icmp) && icmp.Type == IcmpV4Header.TypeEchoReply
        && icmp.Identifier == identifier && icmp.SequenceNumber == sequence && icmp.IsChecksumValid;

    private static byte[] EchoRequest(MacAddress sourceMac, MacAddress destinationMac, IPv4Address source, IPv4Address destination, ushort identifier, ushort sequence)
    {
        byte[] data = Encoding.ASCII.GetBytes("NetFabric AF_PACKET echo");
        var frame = new byte[EthernetHeader.Length + Ipv4Header.MinimumLength + IcmpV4Header.Length + data.Length];
        int offset = EthernetHeader.Write(frame, destinationMac, sourceMac, EtherType.IPv4);
        offset += Ipv4Header.Write(frame.AsSpan(offset), source, destination, IpProtocol.Icmp, IcmpV4Header.Length + data.Length);
        var message = frame.AsSpan(offset);
        IcmpV4Header.Write(message, IcmpV4Header.TypeEchoRequest, 0, (uint)identifier << 16 | sequence);
        data.CopyTo(message.Slice(IcmpV4Header.Length));
        IcmpV4Header.SetChecksum(message);
        return frame;
    }

    // The frame with an 802.1ad service tag in front of its tag (the kernel takes the outer one out).
    private static byte[] QinQ(byte[] tagged, ushort outerTci)
    {
        byte[] frame = [.. tagged[..12], 0x88, 0xA8, (byte)(outerTci >> 8), (byte)outerTci, .. tagged[12..]];
        return frame;
    }

    private static byte[] TaggedUdp(ushort id, ushort? tag)
    {
        var frame = new byte[128];
        int written = IpFrames.WriteUdp(frame, PortMac, Host1Mac, PortIp, Host1Ip, (ushort)(20_000 + id), 9, new byte[26], vlanTci: tag);
        return frame[..written];
    }

    private static byte[] Udp(int length, ushort id)
    {
        var payload = new byte[length - 42];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)(i * 7 + id);
        var frame = new byte[length];
        int written = IpFrames.WriteUdp(frame, PortMac, Host1Mac, PortIp, Host1Ip, (ushort)(20_000 + id), 9, payload);
        Assert.Equal(length, written);
        return frame;
    }
}
