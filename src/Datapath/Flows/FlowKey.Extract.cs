using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Flows;

public partial struct FlowKey
{
    /// <summary>
    /// Extracts the key of <paramref name="frame"/> (an Ethernet frame) arriving on <paramref name="inPort"/>
    /// through <paramref name="tunnel"/>. Allocation-free, never throws, never reads outside the frame:
    /// a truncated or malformed frame yields a key whose <see cref="Layers"/> says how far parsing got,
    /// with <see cref="Malformed"/> set when an announced layer could not be read.
    /// </summary>
    /// <returns>The layers parsed (same as <see cref="Layers"/>).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FlowKeyLayers Extract(ReadOnlySpan<byte> frame, uint inPort, in TunnelMetadata tunnel, out FlowKey key)
    {
        key = default;
        key.InPort = inPort;
        key.TunnelId = tunnel.Id;
        key.TunnelSource = tunnel.Source;
        key.TunnelDestination = tunnel.Destination;

        if (!EthernetHeader.TryRead(frame, out var ethernet))
        {
            key.Malformed = frame.Length > 0;
            return key.Layers = FlowKeyLayers.None;
        }
        key.EthernetDestination = ethernet.Destination;
        key.EthernetSource = ethernet.Source;
        key.EtherType = ethernet.EtherType;
        if (ethernet.TagCount > 0) key.VlanTci = (ushort)(ethernet.VlanTci | EthernetHeader.TagPresent);
        if (ethernet.TagCount > 1) key.OuterVlanTci = (ushort)(ethernet.OuterVlanTci | EthernetHeader.TagPresent);
        key.Layers = FlowKeyLayers.Ethernet;

        var payload = ethernet.Payload;
        switch (ethernet.EtherType)
        {
            case Protocols.EtherType.IPv4:
                ExtractIpv4(payload, ref key);
                break;
            case Protocols.EtherType.IPv6:
                ExtractIpv6(payload, ref key);
                break;
            case Protocols.EtherType.Arp:
                ExtractArp(payload, ref key);
                break;
        }
        return key.Layers;
    }

    /// <summary>Extracts the key of a frame that did not arrive through a tunnel.</summary>
    public static FlowKeyLayers Extract(ReadOnlySpan<byte> frame, uint inPort, out FlowKey key) =>
        Extract(frame, inPort, TunnelMetadata.None, out key);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ExtractIpv4(ReadOnlySpan<byte> packet, ref FlowKey key)
    {
        if (!Ipv4Header.TryRead(packet, out var ip))
        {
            key.Malformed = true;
            return;
        }
        key.NetworkSource = new IPv6Address(0, ip.Source.Value);
        key.NetworkDestination = new IPv6Address(0, ip.Destination.Value);
        key.NetworkProtocol = ip.Protocol;
        key.NetworkTos = ip.TypeOfService;
        key.NetworkTtl = ip.TimeToLive;
        key.Layers = FlowKeyLayers.Network;
        if (ip.IsFragment)
        {
            if (ip.FragmentOffset != 0)
            {
                key.Fragment = FlowFragment.Later;
                return;
            }
            key.Fragment = FlowFragment.First;
        }
        ExtractTransport(ip.Protocol, ip.Payload, ref key);
    }

    private static void ExtractIpv6(ReadOnlySpan<byte> packet, ref FlowKey key)
    {
        if (!Ipv6Header.TryRead(packet, out var ip))
        {
            key.Malformed = true;
            return;
        }
        key.NetworkSource = ip.Source;
        key.NetworkDestination = ip.Destination;
        key.NetworkTos = ip.TrafficClass;
        key.NetworkTtl = ip.HopLimit;
        key.Ipv6FlowLabel = ip.FlowLabel;
        key.Layers = FlowKeyLayers.Network;
        bool complete = ip.TryWalkExtensions(out var walk);
        key.NetworkProtocol = walk.UpperLayerProtocol;
        if (walk.IsFragment) key.Fragment = walk.FragmentOffset != 0 ? FlowFragment.Later : FlowFragment.First;
        if (!complete)
        {
            key.Malformed = true;
            return;
        }
        if (key.Fragment == FlowFragment.Later) return;
        int end = Ipv6Header.Length + ip.Payload.Length;
        ExtractTransport(walk.UpperLayerProtocol, packet.Slice(walk.UpperLayerOffset, end - walk.UpperLayerOffset), ref key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ExtractTransport(byte protocol, ReadOnlySpan<byte> segment, ref FlowKey key)
    {
        switch (protocol)
        {
            case IpProtocol.Udp:
                if (!UdpHeader.TryRead(segment, out var udp)) break;
                key.TransportSource = udp.SourcePort;
                key.TransportDestination = udp.DestinationPort;
                key.Layers = FlowKeyLayers.Transport;
                return;
            case IpProtocol.Tcp:
                if (!TcpHeader.TryRead(segment, out var tcp)) break;
                key.TransportSource = tcp.SourcePort;
                key.TransportDestination = tcp.DestinationPort;
                key.TcpFlags = (ushort)tcp.Flags;
                key.Layers = FlowKeyLayers.Transport;
                return;
            case IpProtocol.Icmp:
                if (segment.Length < IcmpV4Header.Length) break;
                key.TransportSource = segment[0];
                key.TransportDestination = segment[1];
                key.Layers = FlowKeyLayers.Transport;
                return;
            case IpProtocol.IcmpV6:
                if (!IcmpV6Header.TryRead(segment, out var icmp6)) break;
                key.TransportSource = icmp6.Type;
                key.TransportDestination = icmp6.Code;
                key.Layers = FlowKeyLayers.Transport;
                if (icmp6.IsNeighborDiscovery && icmp6.TryGetLinkLayerAddress(out var lla))
                {
                    if (icmp6.Type == IcmpV6Header.TypeNeighborSolicitation) key.ArpSourceHardware = lla;
                    else key.ArpTargetHardware = lla;
                }
                return;
            default:
                // A protocol NetFabric does not key on: the network layer is the last one.
                return;
        }
        key.Malformed = true;
    }

    private static void ExtractArp(ReadOnlySpan<byte> packet, ref FlowKey key)
    {
        if (!ArpPacket.TryRead(packet, out var arp))
        {
            key.Malformed = true;
            return;
        }
        ushort operation = arp.Operation;
        // Like Open vSwitch, only the low byte of the operation is keyed (operations above 255 are unused).
        key.NetworkProtocol = operation <= 0xFF ? (byte)operation : (byte)0;
        key.NetworkSource = new IPv6Address(0, arp.SenderProtocolAddress.Value);
        key.NetworkDestination = new IPv6Address(0, arp.TargetProtocolAddress.Value);
        key.ArpSourceHardware = arp.SenderHardwareAddress;
        key.ArpTargetHardware = arp.TargetHardwareAddress;
        key.Layers = FlowKeyLayers.Network;
    }
}
