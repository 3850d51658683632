using FsCheck;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;
using FsCheck.Fluent;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Support;

/// A generated packet: the model tests build frames from, so a failure prints readable fields.
public sealed record FrameModel(
    ulong SourceMac, ulong DestinationMac, ushort? VlanTci,
    bool Ipv6, uint Source4, uint Destination4, ulong SourceUpper, ulong SourceLower, ulong DestinationUpper, ulong DestinationLower,
    byte Ttl, byte Transport, ushort SourcePort, ushort DestinationPort, ushort TcpFlags, byte IcmpCode, byte[] Payload)
{
    public MacAddress EthernetSource => new(SourceMac & ~0x0100_0000_0000UL); // a unicast sender
    public MacAddress EthernetDestination => new(DestinationMac);
    public IPv6Address Source6 => new(SourceUpper, SourceLower);
    public IPv6Address Destination6 => new(DestinationUpper, DestinationLower);

    /// 0 = UDP, 1 = TCP, 2 = ICMP echo request.
    public int Kind => Transport % 3;

    public byte[] Build()
    {
        var frame = new byte[14 + 4 + 40 + 20 + 8 + Payload.Length];
        int length;
        switch (Kind, Ipv6)
        {
            case (0, false):
                length = IpFrames.WriteUdp(frame, EthernetSource, EthernetDestination, new IPv4Address(Source4), new IPv4Address(Destination4), SourcePort, DestinationPort, Payload, Ttl, VlanTci);
                break;
            case (0, true):
                length = IpFrames.WriteUdp(frame, EthernetSource, EthernetDestination, Source6, Destination6, SourcePort, DestinationPort, Payload, Ttl, VlanTci);
                break;
            case (1, false):
                length = IpFrames.WriteTcp(frame, EthernetSource, EthernetDestination, new IPv4Address(Source4), new IPv4Address(Destination4), SourcePort, DestinationPort, 1, 0, (TcpFlags)(TcpFlags & 0xFF), 512, Payload, default, Ttl, VlanTci);
                break;
            case (1, true):
                length = IpFrames.WriteTcp(frame, EthernetSource, EthernetDestination, Source6, Destination6, SourcePort, DestinationPort, 1, 0, (TcpFlags)(TcpFlags & 0xFF), 512, Payload, default, Ttl, VlanTci);
                break;
            default:
                length = WriteEcho(frame);
                break;
        }
        return frame[..length];
    }

    private int WriteEcho(Span<byte> frame)
    {
        int offset = VlanTci is ushort tci
            ? EthernetHeader.WriteTagged(frame, EthernetDestination, EthernetSource, tci, Ipv6 ? EtherType.IPv6 : EtherType.IPv4)
            : EthernetHeader.Write(frame, EthernetDestination, EthernetSource, Ipv6 ? EtherType.IPv6 : EtherType.IPv4);
        int messageLength = 8 + Payload.Length;
        if (Ipv6) offset += Ipv6Header.Write(frame.Slice(offset), Source6, Destination6, IpProtocol.IcmpV6, messageLength, Ttl);
        else offset += Ipv4Header.Write(frame.Slice(offset), new IPv4Address(Source4), new IPv4Address(Destination4), IpProtocol.Icmp, messageLength, Ttl);
        var message = frame.Slice(offset, messageLength);
        if (Ipv6)
        {
            IcmpV6Header.Write(message, IcmpV6Header.TypeEchoRequest, IcmpCode, (uint)SourcePort << 16 | DestinationPort);
            Payload.CopyTo(message.Slice(8));
            IcmpV6Header.SetChecksum(message, Source6, Destination6);
        }
        else
        {
            IcmpV4Header.Write(message, IcmpV4Header.TypeEchoRequest, IcmpCode, (uint)SourcePort << 16 | DestinationPort);
            Payload.CopyTo(message.Slice(8));
            IcmpV4Header.SetChecksum(message);
        }
        return offset + messageLength;
    }

    /// Frames with payloads up to 200 bytes (enough to cover every header path, small enough for many runs).
    public static Arbitrary<FrameModel> Arbitrary() =>
        Arb.From(
            from macs in ArbMap.Default.GeneratorFor<(ulong, ulong)>()
            from tagged in ArbMap.Default.GeneratorFor<bool>()
            from tci in Gen.Choose(0, 0xFFFF)
            from ipv6 in ArbMap.Default.GeneratorFor<bool>()
            from v4 in ArbMap.Default.GeneratorFor<(uint, uint)>()
            from v6 in ArbMap.Default.GeneratorFor<(ulong, ulong, ulong, ulong)>()
            from ttl in ArbMap.Default.GeneratorFor<byte>()
            from transport in ArbMap.Default.GeneratorFor<byte>()
            from ports in ArbMap.Default.GeneratorFor<(ushort, ushort)>()
            from flags in ArbMap.Default.GeneratorFor<ushort>()
            from code in ArbMap.Default.GeneratorFor<byte>()
            from length in Gen.Choose(0, 200)
            from payload in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), length)
            select new FrameModel(macs.Item1, macs.Item2, tagged ? (ushort)tci : null, ipv6, v4.Item1, v4.Item2, v6.Item1, v6.Item2, v6.Item3, v6.Item4,
                ttl, transport, ports.Item1, ports.Item2, flags, code, payload));
}
