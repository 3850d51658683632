using System.Buffers.Binary;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over an ARP packet for Ethernet/IPv4 (RFC 826: hardware type 1, protocol 0x0800,
/// lengths 6 and 4). Other hardware/protocol combinations are rejected by <see cref="TryRead"/>.
/// </summary>
public readonly ref struct ArpPacket
{
    /// <summary>Length of an Ethernet/IPv4 ARP packet.</summary>
    public const int Length = 28;
    /// <summary>ARP request operation code.</summary>
    public const ushort OperationRequest = 1;
    /// <summary>ARP reply operation code.</summary>
    public const ushort OperationReply = 2;

    private readonly ReadOnlySpan<byte> _bytes;

    private ArpPacket(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>Reads an Ethernet/IPv4 ARP packet; false when shorter than 28 bytes or of another hardware/protocol type.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out ArpPacket arp)
    {
        arp = default;
        if (packet.Length < Length) return false;
        if (BinaryPrimitives.ReadUInt16BigEndian(packet) != 1
            || BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(2)) != EtherType.IPv4
            || packet[4] != 6 || packet[5] != 4)
            return false;
        arp = new ArpPacket(packet.Slice(0, Length));
        return true;
    }

    /// <summary>The operation: 1 request, 2 reply (other values are passed through).</summary>
    public ushort Operation => BinaryPrimitives.ReadUInt16BigEndian(_bytes.Slice(6));

    /// <summary>Sender hardware address (SHA).</summary>
    public MacAddress SenderHardwareAddress => MacAddress.Read(_bytes.Slice(8));

    /// <summary>Sender protocol address (SPA).</summary>
    public IPv4Address SenderProtocolAddress => IPv4Address.Read(_bytes.Slice(14));

    /// <summary>Target hardware address (THA).</summary>
    public MacAddress TargetHardwareAddress => MacAddress.Read(_bytes.Slice(18));

    /// <summary>Target protocol address (TPA).</summary>
    public IPv4Address TargetProtocolAddress => IPv4Address.Read(_bytes.Slice(24));

    /// <summary>Writes a 28-byte Ethernet/IPv4 ARP packet. Returns 28.</summary>
    public static int Write(Span<byte> destination, ushort operation, MacAddress senderMac, IPv4Address senderIp, MacAddress targetMac, IPv4Address targetIp)
    {
        if (destination.Length < Length) ThrowHelper.DestinationTooShort("an ARP packet", Length, destination.Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination, 1);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), EtherType.IPv4);
        destination[4] = 6;
        destination[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(6), operation);
        senderMac.Write(destination.Slice(8));
        senderIp.Write(destination.Slice(14));
        targetMac.Write(destination.Slice(18));
        targetIp.Write(destination.Slice(24));
        return Length;
    }
}
