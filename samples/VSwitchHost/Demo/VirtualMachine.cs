using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Samples.VSwitchHost.Demo;

/// <summary>
/// A minimal host on an in-memory port, enough to drive the demo the way a VM would: it resolves its gateway
/// and neighbours by ARP, answers ARP requests and ICMP echo for its own address, and sends and counts UDP
/// datagrams and pings. Single-threaded: the demo loop calls it.
/// </summary>
public sealed class VirtualMachine(string name, MacAddress mac, IPv4Prefix address, IPv4Address gateway, RingPort port, PacketPool pool)
{
    private readonly Dictionary<IPv4Address, MacAddress> _neighbours = [];
    private readonly Dictionary<IPv4Address, long> _asked = [];
    private readonly PacketBuffer[] _burst = new PacketBuffer[32];
    private readonly byte[] _frame = new byte[256];
    private ushort _sequence;

    /// <summary>The VM's name.</summary>
    public string Name => name;

    /// <summary>The VM's address.</summary>
    public IPv4Address Address => address.Address;

    /// <summary>UDP datagrams sent.</summary>
    public long Sent { get; private set; }

    /// <summary>UDP datagrams received for this VM.</summary>
    public long Received { get; private set; }

    /// <summary>TCP segments sent.</summary>
    public long SegmentsSent { get; private set; }

    /// <summary>TCP segments received for this VM.</summary>
    public long SegmentsReceived { get; private set; }

    /// <summary>Echo requests sent.</summary>
    public long PingsSent { get; private set; }

    /// <summary>Echo replies received.</summary>
    public long PingsAnswered { get; private set; }

    /// <summary>Sends a UDP datagram to <paramref name="target"/> (false while the next hop's MAC is being resolved).</summary>
    public bool SendUdp(IPv4Address target, int tick)
    {
        if (!TryNextHop(target, tick, out var nextHop)) return false;
        int length = IpFrames.WriteUdp(_frame, mac, nextHop, address.Address, target, (ushort)(40000 + tick % 16), 7000, "netfabric demo"u8);
        Transmit(_frame.AsSpan(0, length));
        Sent++;
        return true;
    }

    /// <summary>Sends a TCP data segment (PSH|ACK) to <paramref name="target"/>'s port 8080.</summary>
    public bool SendTcp(IPv4Address target, int tick)
    {
        if (!TryNextHop(target, tick, out var nextHop)) return false;
        int length = IpFrames.WriteTcp(_frame, mac, nextHop, address.Address, target, (ushort)(50000 + tick % 8), 8080,
            (uint)tick, 1, TcpFlags.Psh | TcpFlags.Ack, 65535, "netfabric tcp"u8);
        Transmit(_frame.AsSpan(0, length));
        SegmentsSent++;
        return true;
    }

    /// <summary>Sends an ICMP echo request to <paramref name="target"/>.</summary>
    public bool Ping(IPv4Address target, int tick)
    {
        if (!TryNextHop(target, tick, out var nextHop)) return false;
        int offset = EthernetHeader.Write(_frame, nextHop, mac, EtherType.IPv4);
        offset += Ipv4Header.Write(_frame.AsSpan(offset), address.Address, target, IpProtocol.Icmp, IcmpV4Header.Length + 16, identification: _sequence);
        var message = _frame.AsSpan(offset, IcmpV4Header.Length + 16);
        IcmpV4Header.Write(message, IcmpV4Header.TypeEchoRequest, 0, (uint)(0x4E46 << 16 | ++_sequence));
        message.Slice(IcmpV4Header.Length).Fill(0x61);
        IcmpV4Header.SetChecksum(message);
        Transmit(_frame.AsSpan(0, offset + message.Length));
        PingsSent++;
        return true;
    }

    /// <summary>Handles everything waiting on the VM's port.</summary>
    public void Poll()
    {
        int count;
        while ((count = port.RxBurst(0, _burst)) > 0)
        {
            for (int i = 0; i < count; i++)
            {
                Handle(_burst[i].Data);
                _burst[i].Release();
            }
        }
    }

    private void Handle(ReadOnlySpan<byte> frame)
    {
        if (!EthernetHeader.TryRead(frame, out var ethernet)) return;
        if (ethernet.EtherType == EtherType.Arp && ArpPacket.TryRead(ethernet.Payload, out var arp))
        {
            if (arp.TargetProtocolAddress != address.Address) return;
            _neighbours[arp.SenderProtocolAddress] = arp.SenderHardwareAddress;
            if (arp.Operation == ArpPacket.OperationRequest)
            {
                int length = ArpFrames.WriteReply(_frame, mac, address.Address, arp.SenderHardwareAddress, arp.SenderProtocolAddress);
                Transmit(_frame.AsSpan(0, length));
            }
            return;
        }
        if (ethernet.Destination != mac || ethernet.EtherType != EtherType.IPv4 || !Ipv4Header.TryRead(ethernet.Payload, out var ip) || ip.Destination != address.Address)
            return;
        if (ip.Protocol == IpProtocol.Udp)
        {
            Received++;
        }
        else if (ip.Protocol == IpProtocol.Tcp)
        {
            SegmentsReceived++;
        }
        else if (ip.Protocol == IpProtocol.Icmp && IcmpV4Header.TryRead(ip.Payload, out var icmp))
        {
            if (icmp.Type == IcmpV4Header.TypeEchoReply) PingsAnswered++;
            else if (icmp.Type == IcmpV4Header.TypeEchoRequest && IcmpFrames.TryWriteEchoReply(_frame, frame, mac, out int written))
                Transmit(_frame.AsSpan(0, written));
        }
    }

    private bool TryNextHop(IPv4Address target, int tick, out MacAddress nextHop)
    {
        var hop = address.Contains(target) ? target : gateway;
        if (_neighbours.TryGetValue(hop, out nextHop)) return true;
        // Ask at most once every 50 ticks, as a kernel rate-limits its ARP requests.
        if (!_asked.TryGetValue(hop, out long last) || tick - last >= 50)
        {
            _asked[hop] = tick;
            Span<byte> request = stackalloc byte[ArpFrames.Length];
            int length = ArpFrames.WriteRequest(request, mac, address.Address, hop);
            Transmit(request[..length]);
        }
        return false;
    }

    private void Transmit(ReadOnlySpan<byte> frame)
    {
        if (!pool.TryRent(out var buffer)) return;
        buffer.TrySetLength(frame.Length);
        frame.CopyTo(buffer.Data);
        port.TxBurst(0, [buffer]);
    }

    /// <summary>The VM's name and address.</summary>
    public override string ToString() => $"{name} {address}";
}
