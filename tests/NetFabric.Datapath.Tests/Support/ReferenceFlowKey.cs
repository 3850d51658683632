using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Support;

/// FlowKey extraction written only with the Protocols read views: slower, but obviously the views' rules.
/// FlowKey.Extract reads at unchecked offsets for speed; the tests demand it agrees with this on any input.
internal static class ReferenceFlowKey
{
    public static FlowKey Extract(ReadOnlySpan<byte> frame, uint inPort, TunnelMetadata tunnel)
    {
        var key = new FlowKey
        {
            InPort = inPort,
            TunnelId = tunnel.Id,
            TunnelSource = tunnel.Source,
            TunnelDestination = tunnel.Destination,
        };
        if (frame.Length < EthernetHeader.Length)
        {
            key.Malformed = frame.Length > 0;
            return key;
        }
        key.EthernetDestination = MacAddress.Read(frame);
        key.EthernetSource = MacAddress.Read(frame.Slice(6));
        if (!EthernetHeader.TryRead(frame, out var ethernet))
        {
            key.Malformed = true;
            return key;
        }
        key.EtherType = ethernet.EtherType;
        if (ethernet.TagCount > 0) key.VlanTci = (ushort)(ethernet.VlanTci | EthernetHeader.TagPresent);
        if (ethernet.TagCount > 1) key.OuterVlanTci = (ushort)(ethernet.OuterVlanTci | EthernetHeader.TagPresent);
        key.Layers = FlowKeyLayers.Ethernet;
        switch (ethernet.EtherType)
        {
            case EtherType.IPv4:
                if (!Ipv4Header.TryRead(ethernet.Payload, out var ip4)) { key.Malformed = true; break; }
                key.NetworkSource = new IPv6Address(0, ip4.Source.Value);
                key.NetworkDestination = new IPv6Address(0, ip4.Destination.Value);
                key.NetworkProtocol = ip4.Protocol;
                key.NetworkTos = ip4.TypeOfService;
                key.NetworkTtl = ip4.TimeToLive;
                key.Layers = FlowKeyLayers.Network;
                if (ip4.IsFragment) key.Fragment = ip4.FragmentOffset != 0 ? FlowFragment.Later : FlowFragment.First;
                if (key.Fragment != FlowFragment.Later) Transport(ip4.Protocol, ip4.Payload, ref key);
                break;
            case EtherType.IPv6:
                if (!Ipv6Header.TryRead(ethernet.Payload, out var ip6)) { key.Malformed = true; break; }
                key.NetworkSource = ip6.Source;
                key.NetworkDestination = ip6.Destination;
                key.NetworkTos = ip6.TrafficClass;
                key.NetworkTtl = ip6.HopLimit;
                key.Ipv6FlowLabel = ip6.FlowLabel;
                key.Layers = FlowKeyLayers.Network;
                bool complete = ip6.TryWalkExtensions(out var walk);
                key.NetworkProtocol = walk.UpperLayerProtocol;
                if (walk.IsFragment) key.Fragment = walk.FragmentOffset != 0 ? FlowFragment.Later : FlowFragment.First;
                if (!complete) { key.Malformed = true; break; }
                if (key.Fragment != FlowFragment.Later)
                {
                    int end = Ipv6Header.Length + ip6.Payload.Length;
                    Transport(walk.UpperLayerProtocol, ethernet.Payload.Slice(walk.UpperLayerOffset, end - walk.UpperLayerOffset), ref key);
                }
                break;
            case EtherType.Arp:
                if (!ArpPacket.TryRead(ethernet.Payload, out var arp)) { key.Malformed = true; break; }
                key.NetworkProtocol = arp.Operation <= 0xFF ? (byte)arp.Operation : (byte)0;
                key.NetworkSource = new IPv6Address(0, arp.SenderProtocolAddress.Value);
                key.NetworkDestination = new IPv6Address(0, arp.TargetProtocolAddress.Value);
                key.ArpSourceHardware = arp.SenderHardwareAddress;
                key.ArpTargetHardware = arp.TargetHardwareAddress;
                key.Layers = FlowKeyLayers.Network;
                break;
        }
        return key;
    }

    private static void Transport(byte protocol, ReadOnlySpan<byte> segment, ref FlowKey key)
    {
        switch (protocol)
        {
            case IpProtocol.Udp when UdpHeader.TryRead(segment, out var udp):
                (key.TransportSource, key.TransportDestination) = (udp.SourcePort, udp.DestinationPort);
                break;
            case IpProtocol.Tcp when TcpHeader.TryRead(segment, out var tcp):
                (key.TransportSource, key.TransportDestination, key.TcpFlags) = (tcp.SourcePort, tcp.DestinationPort, (ushort)tcp.Flags);
                break;
            case IpProtocol.Icmp when IcmpV4Header.TryRead(segment, out var icmp):
                (key.TransportSource, key.TransportDestination) = (icmp.Type, icmp.Code);
                break;
            case IpProtocol.IcmpV6 when IcmpV6Header.TryRead(segment, out var icmp6):
                (key.TransportSource, key.TransportDestination) = (icmp6.Type, icmp6.Code);
                if (icmp6.IsNeighborDiscovery && icmp6.TryGetLinkLayerAddress(out var lla))
                {
                    if (icmp6.Type == IcmpV6Header.TypeNeighborSolicitation) key.ArpSourceHardware = lla;
                    else key.ArpTargetHardware = lla;
                }
                break;
            case IpProtocol.Udp or IpProtocol.Tcp or IpProtocol.Icmp or IpProtocol.IcmpV6:
                key.Malformed = true;
                return;
            default:
                return;
        }
        key.Layers = FlowKeyLayers.Transport;
    }
}
