using System.Buffers.Binary;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Actions.Internal;

/// Inserting an 802.1Q/802.1ad tag in front of a frame's EtherType (or its existing tag), in place: the push_vlan
/// action, and an AF_PACKET port putting back the tag the kernel took out.
internal static class VlanTag
{
    /// The two MAC addresses in front of the tag.
    public const int MacsLength = 12;

    /// Pushes the tag using 4 bytes of headroom; false, leaving the frame as it was, when the headroom is too small.
    /// The frame must hold at least the MAC addresses.
    public static bool TryPush(PacketBuffer packet, ushort tpid, ushort tci)
    {
        if (!packet.TryPrepend(EthernetHeader.VlanTagLength, out _)) return false;
        var frame = packet.Data;
        // The addresses move 4 bytes forward; the old EtherType (or tag) stays where it was, behind the new tag.
        frame.Slice(EthernetHeader.VlanTagLength, MacsLength).CopyTo(frame);
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(MacsLength), tpid);
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(MacsLength + 2), tci);
        return true;
    }
}
