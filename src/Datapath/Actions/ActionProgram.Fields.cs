using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Actions.Internal;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Actions;

// Set-field and TTL actions: rewrite in place, update checksums incrementally (RFC 1624 eqn. 3).
public sealed partial class ActionProgram
{
    private const int Ipv4ChecksumOffset = 10;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SetMac(Span<byte> frame, int offset, ulong mac)
    {
        if (frame.Length < EthernetHeader.Length) return false;
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(offset), (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(frame.Slice(offset + 2), (uint)mac);
        return true;
    }

    // Subtracts `hops` (the router hops one flow crosses) at once, checking first that the packet survives all of
    // them: a packet that would expire goes up unmodified, so the resolver sees it as it arrived.
    private static StepResult DecrementTtl(Span<byte> frame, ref PacketLayout layout, int hops)
    {
        if (!layout.IsLocated) layout.Locate(frame);
        int ip = layout.Network;
        if (layout.IpVersion == 4)
        {
            // TTL and protocol form one 16-bit word of the checksummed header.
            ushort word = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(ip + 8));
            if (word >> 8 <= hops) return StepResult.TtlExpired;
            ushort decremented = (ushort)(word - (hops << 8));
            BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(ip + 8), decremented);
            UpdateChecksum(frame, ip + Ipv4ChecksumOffset, word, decremented);
            return StepResult.Continue;
        }
        if (layout.IpVersion == 6)
        {
            // The hop limit is in no checksum (the IPv6 header has none; it is not part of the pseudo-header).
            byte hopLimit = frame[ip + 7];
            if (hopLimit <= hops) return StepResult.TtlExpired;
            frame[ip + 7] = (byte)(hopLimit - hops);
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
        var header = frame.Slice(layout.Network + Ipv4ChecksumOffset, 2);
        Write(header, Checksum.Update(Read(header), old, address));
        // The TCP/UDP pseudo-header holds the addresses; ICMPv4 has no pseudo-header.
        if (TransportChecksum(frame, layout, out var transport, out bool udp))
            Write(transport, Finish(Checksum.Update(Read(transport), old, address), udp));
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
        // Every IPv6 upper layer's checksum covers the pseudo-header, ICMPv6 included.
        if (TransportChecksum(frame, layout, out var transport, out bool udp))
            Write(transport, Finish(Checksum.Update(Read(transport), old, address), udp));
        return true;
    }

    private static bool SetTransportPort(Span<byte> frame, ref PacketLayout layout, int fieldOffset, ushort port)
    {
        if (!layout.IsLocated) layout.Locate(frame);
        if (layout.IpVersion == 0) return false;
        if (!layout.IsTransportLocated) layout.LocateTransport(frame);
        if (layout.TransportKind is not (TransportKind.Tcp or TransportKind.Udp)) return false;
        var field = frame.Slice(layout.Transport + fieldOffset, 2);
        ushort old = Read(field);
        Write(field, port);
        if (TransportChecksum(frame, layout, out var checksum, out bool udp))
            Write(checksum, Finish(Checksum.Update(Read(checksum), old, port), udp));
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateChecksum(Span<byte> frame, int offset, ushort oldValue, ushort newValue)
    {
        var field = frame.Slice(offset, 2);
        BinaryPrimitives.WriteUInt16BigEndian(field, Checksum.Update(BinaryPrimitives.ReadUInt16BigEndian(field), oldValue, newValue));
    }

    /// The transport checksum field a pseudo-header or port change must update, if the packet has one to update:
    /// TCP, UDP (unless it carries no checksum: 0 over IPv4, or a zero-checksum tunnel over IPv6) or ICMPv6.
    private static bool TransportChecksum(Span<byte> frame, in PacketLayout layout, out Span<byte> field, out bool udp)
    {
        udp = layout.TransportKind == TransportKind.Udp;
        int offset = layout.TransportChecksumOffset;
        field = offset < 0 ? default : frame.Slice(offset, 2);
        return offset >= 0 && !(udp && Read(field) == 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Read(Span<byte> field) => BinaryPrimitives.ReadUInt16BigEndian(field);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(Span<byte> field, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(field, value);

    private static ushort Finish(ushort checksum, bool udp) => udp ? UdpHeader.TransmittedChecksum(checksum) : checksum;
}
