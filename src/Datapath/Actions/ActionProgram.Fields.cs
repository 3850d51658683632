using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Actions.Internal;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Actions;

// Set-field and TTL actions: rewrite in place, update checksums incrementally (RFC 1624 eqn. 3).
public sealed partial class ActionProgram
{
    private const int Ipv4ChecksumOffset = 10;
    private const int TcpChecksumOffset = 16;
    private const int UdpChecksumOffset = 6;
    private const int IcmpV6ChecksumOffset = 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SetMac(Span<byte> frame, int offset, ulong mac)
    {
        if (frame.Length < EthernetHeader.Length) return false;
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(offset), (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(frame.Slice(offset + 2), (uint)mac);
        return true;
    }

    private static StepResult DecrementTtl(Span<byte> frame, ref PacketLayout layout)
    {
        if (!layout.IsLocated) layout.Locate(frame);
        int ip = layout.Network;
        if (layout.IpVersion == 4)
        {
            // TTL and protocol form one 16-bit word of the checksummed header.
            ushort word = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(ip + 8));
            if (word < 0x0200) return StepResult.TtlExpired;
            ushort decremented = (ushort)(word - 0x0100);
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(ip + 8), decremented);
            UpdateChecksum(frame, ip + Ipv4ChecksumOffset, word, decremented);
            return StepResult.Continue;
        }
        if (layout.IpVersion == 6)
        {
            // The hop limit is in no checksum (the IPv6 header has none; it is not part of the pseudo-header).
            byte hopLimit = frame[ip + 7];
            if (hopLimit <= 1) return StepResult.TtlExpired;
            frame[ip + 7] = (byte)(hopLimit - 1);
            return StepResult.Continue;
        }
        return StepResult.Malformed;
    }

    private static bool SetIpv4Address(Span<byte> frame, ref PacketLayout layout, int fieldOffset, uint address)
    {
        if (!layout.IsLocated) layout.Locate(frame);
        if (layout.IpVersion != 4) return false;
        if (!layout.IsTransportLocated) layout.LocateTransport(frame);
        if (layout.TransportKind == TransportKind.Unreadable) return false;
        var field = frame.Slice(layout.Network + fieldOffset, 4);
        uint old = BinaryPrimitives.ReadUInt32BigEndian(field);
        BinaryPrimitives.WriteUInt32BigEndian(field, address);
        int checksum = layout.Network + Ipv4ChecksumOffset;
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(checksum),
            Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(checksum)), old, address));
        // The TCP/UDP pseudo-header holds the addresses; ICMPv4 has no pseudo-header.
        switch (layout.TransportKind)
        {
            case TransportKind.Tcp:
                checksum = layout.Transport + TcpChecksumOffset;
                BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(checksum),
                    Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(checksum)), old, address));
                break;
            case TransportKind.Udp:
                checksum = layout.Transport + UdpChecksumOffset;
                ushort value = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(checksum));
                if (value != 0) BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(checksum), UdpChecksum(Checksum.Update(value, old, address)));
                break;
        }
        return true;
    }

    private static bool SetIpv6Address(Span<byte> frame, ref PacketLayout layout, int fieldOffset, ulong upper, ulong lower)
    {
        if (!layout.IsLocated) layout.Locate(frame);
        if (layout.IpVersion != 6) return false;
        if (!layout.IsTransportLocated) layout.LocateTransport(frame);
        if (layout.TransportKind == TransportKind.Unreadable) return false;
        var field = frame.Slice(layout.Network + fieldOffset, 16);
        var old = IPv6Address.Read(field);
        var address = new IPv6Address(upper, lower);
        address.Write(field);
        int checksum;
        switch (layout.TransportKind)
        {
            case TransportKind.Tcp:
                checksum = layout.Transport + TcpChecksumOffset;
                BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(checksum),
                    Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(checksum)), old, address));
                break;
            case TransportKind.IcmpV6:
                checksum = layout.Transport + IcmpV6ChecksumOffset;
                BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(checksum),
                    Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(checksum)), old, address));
                break;
            case TransportKind.Udp:
                checksum = layout.Transport + UdpChecksumOffset;
                ushort value = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(checksum));
                if (value != 0) BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(checksum), UdpChecksum(Checksum.Update(value, old, address)));
                break;
        }
        return true;
    }

    private static bool SetTransportPort(Span<byte> frame, ref PacketLayout layout, int fieldOffset, ushort port)
    {
        if (!layout.IsLocated) layout.Locate(frame);
        if (layout.IpVersion == 0) return false;
        if (!layout.IsTransportLocated) layout.LocateTransport(frame);
        int checksumOffset;
        if (layout.TransportKind == TransportKind.Tcp) checksumOffset = TcpChecksumOffset;
        else if (layout.TransportKind == TransportKind.Udp) checksumOffset = UdpChecksumOffset;
        else return false;
        int field = layout.Transport + fieldOffset;
        ushort old = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(field));
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(field), port);
        int checksum = layout.Transport + checksumOffset;
        ushort value = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(checksum));
        if (layout.TransportKind == TransportKind.Tcp) BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(checksum), Checksum.Update(value, old, port));
        else if (value != 0) BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(checksum), UdpChecksum(Checksum.Update(value, old, port)));
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateChecksum(Span<byte> frame, int offset, ushort oldValue, ushort newValue)
    {
        var field = frame.Slice(offset, 2);
        BinaryPrimitives.WriteUInt16BigEndian(field, Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(field), oldValue, newValue));
    }

    // RFC 768: a computed UDP checksum of 0 is sent as all ones (0 on the wire means "no checksum").
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort UdpChecksum(ushort value) => value == 0 ? (ushort)0xFFFF : value;
}
