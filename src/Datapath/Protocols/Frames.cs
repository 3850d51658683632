namespace NetFabric.Datapath.Protocols;

/// Shared pieces of the frame builders.
internal static class Frames
{
    /// Writes an Ethernet header, tagged when a TCI is given; returns its length.
    public static int WriteEthernet(Span<byte> destination, MacAddress destinationMac, MacAddress sourceMac, ushort etherType, ushort? vlanTci) =>
        vlanTci is ushort tci
            ? EthernetHeader.WriteTagged(destination, destinationMac, sourceMac, tci, etherType)
            : EthernetHeader.Write(destination, destinationMac, sourceMac, etherType);

    /// The VLAN tag to echo back on a reply to <paramref name="ethernet"/>.
    public static ushort? ReplyTag(in EthernetHeader ethernet) => ethernet.TagCount > 0 ? ethernet.VlanTci : null;
}
