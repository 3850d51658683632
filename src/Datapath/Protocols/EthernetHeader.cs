using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over an Ethernet II frame with up to two VLAN tags (802.1Q C-tag, and an
/// 802.1ad S-tag or a second 802.1Q tag in front of it for QinQ). Never throws and never reads
/// outside the span: <see cref="TryRead"/> returns false when the frame cannot hold the header.
/// </summary>
public readonly ref struct EthernetHeader
{
    /// <summary>Length of an untagged Ethernet header.</summary>
    public const int Length = 14;
    /// <summary>Length of one VLAN tag (TPID + TCI).</summary>
    public const int VlanTagLength = 4;
    /// <summary>The TCI bit NetFabric sets in flow-key values to mean "a tag was present" (the CFI/DEI bit is reused, as Open vSwitch does).</summary>
    public const ushort TagPresent = 0x1000;

    private readonly ReadOnlySpan<byte> _frame;

    private EthernetHeader(ReadOnlySpan<byte> frame, int headerLength, ushort etherType, ushort vlanTci, ushort outerVlanTci, int tagCount)
    {
        _frame = frame;
        HeaderLength = headerLength;
        EtherType = etherType;
        VlanTci = vlanTci;
        OuterVlanTci = outerVlanTci;
        TagCount = tagCount;
    }

    /// <summary>
    /// Reads the header and up to two VLAN tags. A third tag is left in the payload with
    /// <see cref="EtherType"/> = 0x8100. Returns false when the frame is shorter than the header it announces.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> frame, out EthernetHeader header)
    {
        header = default;
        if (frame.Length < Length) return false;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(12));
        int offset = Length;
        ushort tci = 0, outerTci = 0;
        int tags = 0;
        while ((type == Protocols.EtherType.Vlan || type == Protocols.EtherType.QinQ) && tags < 2)
        {
            if (frame.Length < offset + VlanTagLength) return false;
            outerTci = tci;
            tci = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset));
            type = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 2));
            offset += VlanTagLength;
            tags++;
        }
        // With two tags the first one read (now in outerTci) is the service tag.
        header = new EthernetHeader(frame, offset, type, tci, tags == 2 ? outerTci : (ushort)0, tags);
        return true;
    }

    /// <summary>Destination MAC address.</summary>
    public MacAddress Destination => MacAddress.Read(_frame);

    /// <summary>Source MAC address.</summary>
    public MacAddress Source => MacAddress.Read(_frame.Slice(6));

    /// <summary>The EtherType after any VLAN tags (or an 802.3 length when below 0x0600).</summary>
    public ushort EtherType { get; }

    /// <summary>The inner (customer) tag's TCI: priority, DEI and 12-bit VLAN id; 0 when untagged.</summary>
    public ushort VlanTci { get; }

    /// <summary>The outer (service) tag's TCI when the frame is double-tagged; 0 otherwise.</summary>
    public ushort OuterVlanTci { get; }

    /// <summary>The inner tag's 12-bit VLAN id.</summary>
    public int VlanId => VlanTci & 0x0FFF;

    /// <summary>Number of VLAN tags parsed: 0, 1 or 2.</summary>
    public int TagCount { get; }

    /// <summary>Bytes from the start of the frame to the payload (14, 18 or 22).</summary>
    public int HeaderLength { get; }

    /// <summary>The bytes after the header (may include trailing Ethernet padding).</summary>
    public ReadOnlySpan<byte> Payload => _frame.Slice(HeaderLength);

    /// <summary>Writes an untagged header. Returns 14. Throws when <paramref name="destination"/> is too short.</summary>
    public static int Write(Span<byte> destination, MacAddress destinationMac, MacAddress sourceMac, ushort etherType)
    {
        if (destination.Length < Length) ThrowHelper.DestinationTooShort("an Ethernet header", Length, destination.Length);
        destinationMac.Write(destination);
        sourceMac.Write(destination.Slice(6));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(12), etherType);
        return Length;
    }

    /// <summary>
    /// Writes a header with one 802.1Q tag (<paramref name="outerTci"/> null) or a QinQ pair
    /// (802.1ad S-tag carrying <paramref name="outerTci"/>, then the 802.1Q C-tag). Returns the header length.
    /// </summary>
    public static int WriteTagged(Span<byte> destination, MacAddress destinationMac, MacAddress sourceMac, ushort vlanTci, ushort etherType, ushort? outerTci = null)
    {
        int length = Length + VlanTagLength * (outerTci.HasValue ? 2 : 1);
        if (destination.Length < length) ThrowHelper.DestinationTooShort("a tagged Ethernet header", length, destination.Length);
        destinationMac.Write(destination);
        sourceMac.Write(destination.Slice(6));
        int offset = 12;
        if (outerTci is ushort outer)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(offset), Protocols.EtherType.QinQ);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(offset + 2), outer);
            offset += VlanTagLength;
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(offset), Protocols.EtherType.Vlan);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(offset + 2), vlanTci);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(offset + 4), etherType);
        return length;
    }
}
