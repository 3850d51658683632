using System.Buffers.Binary;
using NetFabric.Datapath.Actions.Internal;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Actions;

// Actions that move the frame's start: VLAN push/pop, tunnel encapsulation and decapsulation.
public sealed partial class ActionProgram
{

    private static StepResult PushVlan(PacketBuffer packet, ushort tpid, ushort tci)
    {
        if (packet.Length < EthernetHeader.Length) return StepResult.Malformed;
        return VlanTag.TryPush(packet, tpid, tci) ? StepResult.Continue : StepResult.NoHeadroom;
    }

    private static bool PopVlan(PacketBuffer packet)
    {
        var frame = packet.Data;
        if (!IsTagged(frame)) return false;
        frame.Slice(0, VlanTag.MacsLength).CopyTo(frame.Slice(EthernetHeader.VlanTagLength));
        return packet.TryTrimFront(EthernetHeader.VlanTagLength);
    }

    private static bool SetVlan(Span<byte> frame, ushort tci)
    {
        if (!IsTagged(frame)) return false;
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(VlanTag.MacsLength + 2), tci);
        return true;
    }

    private static bool IsTagged(ReadOnlySpan<byte> frame) =>
        frame.Length >= EthernetHeader.Length + EthernetHeader.VlanTagLength
        && BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(VlanTag.MacsLength)) is EtherType.Vlan or EtherType.QinQ;

    private static StepResult Encapsulate(PacketBuffer packet, TunnelTemplate template)
    {
        int innerLength = packet.Length;
        if (innerLength < EthernetHeader.Length || innerLength > template.MaximumInnerLength) return StepResult.Malformed;
        ushort sourcePort = 0;
        if (template.IsUdp)
        {
            uint hash = packet.FlowHash;
            sourcePort = hash != 0
                ? (ushort)(TunnelFrames.MinimumEntropyPort | ((hash ^ (hash >> 16)) & 0x3FFF))
                : TunnelFrames.EntropySourcePort(packet.Data);
        }
        if (!packet.TryPrepend(template.Length, out var outer)) return StepResult.NoHeadroom;
        template.Headers.CopyTo(outer);
        var frame = packet.Data;

        const int ip = EthernetHeader.Length;
        ushort ipLength = (ushort)(template.BaseIpLength + innerLength);
        if (template.IsIpv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(ip + 4), ipLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(ip + 2), ipLength);
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(ip + Ipv4ChecksumOffset), Checksum.Update(template.BaseIpChecksum, template.BaseIpLength, ipLength));
        }

        int transport = template.TransportOffset;
        if (template.IsUdp)
        {
            int udpLength = template.BaseUdpLength + innerLength;
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(transport), sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(transport + 4), (ushort)udpLength);
            // Over IPv4 the template's checksum stays 0 (RFC 7348 §5, RFC 8926 §3.3); over IPv6 it is mandatory
            // (RFC 8200 §8.1): one pass over the datagram.
            if (template.IsIpv6) UdpHeader.SetChecksum(frame.Slice(transport, udpLength), template.PseudoHeaderSum + (uint)udpLength);
        }
        else if (template.HasGreChecksum)
        {
            GreHeader.SetChecksum(frame.Slice(transport, ipLength - Ipv4Header.MinimumLength));
        }
        return StepResult.Continue;
    }

    private static bool Decapsulate(PacketBuffer packet)
    {
        if (!TunnelFrames.TryDecapsulate(packet.Data, out _, out var tunnel, out int innerOffset, out int innerLength)) return false;
        packet.TryTrimFront(innerOffset);
        packet.TrySetLength(innerLength);
        packet.Tunnel = tunnel;
        return true;
    }
}
