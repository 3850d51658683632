using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    /// <remarks>
    /// This is the one place that reads headers without the <c>Protocols</c> views: every packet pays for it,
    /// so it validates each layer's length once and then reads at fixed offsets with no further bounds checks.
    /// Each check mirrors the corresponding view's <c>TryRead</c> (Ethernet with up to two tags, IPv4 IHL and
    /// total length, TCP data offset, UDP length); the PacketDotNet agreement and robustness properties in the
    /// tests hold the two in step. IPv6 extension headers are walked by <see cref="Ipv6Header.TryWalkExtensions"/>.
    /// </remarks>
    /// <returns>The layers parsed (same as <see cref="Layers"/>).</returns>
    public static FlowKeyLayers Extract(ReadOnlySpan<byte> frame, uint inPort, in TunnelMetadata tunnel, out FlowKey key)
    {
        key = default;
        key.InPort = inPort;
        key.TunnelId = tunnel.Id;
        key.TunnelSource = tunnel.Source;
        key.TunnelDestination = tunnel.Destination;

        int length = frame.Length;
        if (length < EthernetHeader.Length)
        {
            key.Malformed = length > 0;
            return FlowKeyLayers.None;
        }
        ref byte bytes = ref MemoryMarshal.GetReference(frame);
        // Two overlapping 8-byte big-endian loads give both MACs (the frame has at least 14 bytes).
        key.EthernetDestination = new MacAddress(ReadUInt64(ref bytes, 0) >> 16);
        key.EthernetSource = new MacAddress(ReadUInt64(ref bytes, 6) >> 16);
        ushort type = ReadUInt16(ref bytes, 12);
        int offset = EthernetHeader.Length;
        if (type is Protocols.EtherType.Vlan or Protocols.EtherType.QinQ)
        {
            if (length < offset + EthernetHeader.VlanTagLength) return MarkMalformed(ref key, FlowKeyLayers.None);
            ushort tci = ReadUInt16(ref bytes, offset);
            type = ReadUInt16(ref bytes, offset + 2);
            offset += EthernetHeader.VlanTagLength;
            if (type is Protocols.EtherType.Vlan or Protocols.EtherType.QinQ)
            {
                if (length < offset + EthernetHeader.VlanTagLength) return MarkMalformed(ref key, FlowKeyLayers.None);
                key.OuterVlanTci = (ushort)(tci | EthernetHeader.TagPresent);
                tci = ReadUInt16(ref bytes, offset);
                type = ReadUInt16(ref bytes, offset + 2);
                offset += EthernetHeader.VlanTagLength;
            }
            key.VlanTci = (ushort)(tci | EthernetHeader.TagPresent);
        }
        key.EtherType = type;
        key.Layers = FlowKeyLayers.Ethernet;

        switch (type)
        {
            case Protocols.EtherType.IPv4:
                ExtractIpv4(ref bytes, offset, length, ref key);
                break;
            case Protocols.EtherType.IPv6:
                ExtractIpv6(ref bytes, offset, length, frame, ref key);
                break;
            case Protocols.EtherType.Arp:
                ExtractArp(frame.Slice(offset), ref key);
                break;
        }
        return key.Layers;
    }

    /// <summary>Extracts the key of a frame that did not arrive through a tunnel.</summary>
    public static FlowKeyLayers Extract(ReadOnlySpan<byte> frame, uint inPort, out FlowKey key) =>
        Extract(frame, inPort, TunnelMetadata.None, out key);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ExtractIpv4(ref byte bytes, int offset, int length, ref FlowKey key)
    {
        // Same checks as Ipv4Header.TryRead.
        if (length - offset < Ipv4Header.MinimumLength)
        {
            key.Malformed = true;
            return;
        }
        int versionIhl = Unsafe.Add(ref bytes, offset);
        int headerLength = (versionIhl & 0x0F) * 4;
        int totalLength = ReadUInt16(ref bytes, offset + 2);
        if ((versionIhl >> 4) != 4 || headerLength < Ipv4Header.MinimumLength || headerLength > length - offset || totalLength < headerLength)
        {
            key.Malformed = true;
            return;
        }
        key.NetworkSource = new IPv6Address(0, ReadUInt32(ref bytes, offset + 12));
        key.NetworkDestination = new IPv6Address(0, ReadUInt32(ref bytes, offset + 16));
        key.NetworkTos = Unsafe.Add(ref bytes, offset + 1);
        key.NetworkTtl = Unsafe.Add(ref bytes, offset + 8);
        byte protocol = Unsafe.Add(ref bytes, offset + 9);
        key.NetworkProtocol = protocol;
        key.Layers = FlowKeyLayers.Network;
        int fragment = ReadUInt16(ref bytes, offset + 6) & 0x3FFF;
        if (fragment != 0)
        {
            if ((fragment & 0x1FFF) != 0)
            {
                key.Fragment = FlowFragment.Later;
                return;
            }
            key.Fragment = FlowFragment.First;
        }
        int end = Math.Min(offset + totalLength, length);
        ExtractTransport(protocol, ref bytes, offset + headerLength, end, ref key);
    }

    private static void ExtractIpv6(ref byte bytes, int offset, int length, ReadOnlySpan<byte> frame, ref FlowKey key)
    {
        // Same checks as Ipv6Header.TryRead.
        if (length - offset < Ipv6Header.Length || (Unsafe.Add(ref bytes, offset) >> 4) != 6)
        {
            key.Malformed = true;
            return;
        }
        uint first = ReadUInt32(ref bytes, offset);
        key.NetworkTos = (byte)(first >> 20);
        key.Ipv6FlowLabel = first & 0x000F_FFFF;
        key.NetworkTtl = Unsafe.Add(ref bytes, offset + 7);
        key.NetworkSource = new IPv6Address(ReadUInt64(ref bytes, offset + 8), ReadUInt64(ref bytes, offset + 16));
        key.NetworkDestination = new IPv6Address(ReadUInt64(ref bytes, offset + 24), ReadUInt64(ref bytes, offset + 32));
        key.Layers = FlowKeyLayers.Network;
        int end = Math.Min(offset + Ipv6Header.Length + ReadUInt16(ref bytes, offset + 4), length);
        byte next = Unsafe.Add(ref bytes, offset + 6);
        if (next is IpProtocol.Tcp or IpProtocol.Udp or IpProtocol.IcmpV6)
        {
            // The common case: no extension headers to walk.
            key.NetworkProtocol = next;
            ExtractTransport(next, ref bytes, offset + Ipv6Header.Length, end, ref key);
            return;
        }
        Ipv6Header.TryRead(frame.Slice(offset), out var ip);
        bool complete = ip.TryWalkExtensions(out var walk);
        key.NetworkProtocol = walk.UpperLayerProtocol;
        if (walk.IsFragment) key.Fragment = walk.FragmentOffset != 0 ? FlowFragment.Later : FlowFragment.First;
        if (!complete)
        {
            key.Malformed = true;
            return;
        }
        if (key.Fragment == FlowFragment.Later) return;
        ExtractTransport(walk.UpperLayerProtocol, ref bytes, offset + walk.UpperLayerOffset, end, ref key);
    }

    /// Keys the transport header between <paramref name="offset"/> and <paramref name="end"/> (the end of the IP payload present).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ExtractTransport(byte protocol, ref byte bytes, int offset, int end, ref FlowKey key)
    {
        int available = end - offset;
        switch (protocol)
        {
            case IpProtocol.Udp:
                // Same checks as UdpHeader.TryRead.
                if (available < UdpHeader.Length || ReadUInt16(ref bytes, offset + 4) < UdpHeader.Length) break;
                key.TransportSource = ReadUInt16(ref bytes, offset);
                key.TransportDestination = ReadUInt16(ref bytes, offset + 2);
                key.Layers = FlowKeyLayers.Transport;
                return;
            case IpProtocol.Tcp:
                // Same checks as TcpHeader.TryRead.
                if (available < TcpHeader.MinimumLength) break;
                int dataOffset = (Unsafe.Add(ref bytes, offset + 12) >> 4) * 4;
                if (dataOffset < TcpHeader.MinimumLength || dataOffset > available) break;
                key.TransportSource = ReadUInt16(ref bytes, offset);
                key.TransportDestination = ReadUInt16(ref bytes, offset + 2);
                key.TcpFlags = (ushort)(ReadUInt16(ref bytes, offset + 12) & 0x01FF);
                key.Layers = FlowKeyLayers.Transport;
                return;
            case IpProtocol.Icmp:
                if (available < IcmpV4Header.Length) break;
                key.TransportSource = Unsafe.Add(ref bytes, offset);
                key.TransportDestination = Unsafe.Add(ref bytes, offset + 1);
                key.Layers = FlowKeyLayers.Transport;
                return;
            case IpProtocol.IcmpV6:
                ExtractIcmpV6(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref bytes, offset), Math.Max(available, 0)), ref key);
                return;
            default:
                // A protocol NetFabric does not key on: the network layer is the last one.
                return;
        }
        key.Malformed = true;
    }

    private static void ExtractIcmpV6(ReadOnlySpan<byte> message, ref FlowKey key)
    {
        if (!IcmpV6Header.TryRead(message, out var icmp))
        {
            key.Malformed = true;
            return;
        }
        key.TransportSource = icmp.Type;
        key.TransportDestination = icmp.Code;
        key.Layers = FlowKeyLayers.Transport;
        if (icmp.IsNeighborDiscovery && icmp.TryGetLinkLayerAddress(out var linkLayer))
        {
            if (icmp.Type == IcmpV6Header.TypeNeighborSolicitation) key.ArpSourceHardware = linkLayer;
            else key.ArpTargetHardware = linkLayer;
        }
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

    private static FlowKeyLayers MarkMalformed(ref FlowKey key, FlowKeyLayers layers)
    {
        // A VLAN tag announced but cut off: keep the MACs, but no EtherType is known.
        key.Malformed = true;
        key.Layers = layers;
        return layers;
    }

    // Unchecked big-endian loads: callers have checked that offset + size <= the frame's length.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort ReadUInt16(ref byte bytes, int offset) =>
        BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref bytes, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ReadUInt32(ref byte bytes, int offset) =>
        BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref bytes, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadUInt64(ref byte bytes, int offset) =>
        BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offset)));
}
