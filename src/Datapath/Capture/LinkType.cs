namespace NetFabric.Datapath.Capture;

/// <summary>
/// Link-layer header type of the frames in a capture file: the LINKTYPE_ values of the
/// tcpdump.org registry, stored in the pcap file header and in each pcapng Interface
/// Description Block. Values this enum does not name are kept as they are and passed through.
/// </summary>
public enum LinkType : ushort
{
    /// <summary>LINKTYPE_NULL: BSD loopback, a 4-byte host-order protocol family before the packet.</summary>
    Null = 0,
    /// <summary>LINKTYPE_ETHERNET: IEEE 802.3 Ethernet frames without the FCS.</summary>
    Ethernet = 1,
    /// <summary>LINKTYPE_RAW: raw IPv4 or IPv6 packets, the version nibble tells which.</summary>
    Raw = 101,
    /// <summary>LINKTYPE_LINUX_SLL: Linux "cooked" capture, version 1 (16-byte pseudo-header).</summary>
    LinuxSll = 113,
    /// <summary>LINKTYPE_IPV4: raw IPv4 packets.</summary>
    IPv4 = 228,
    /// <summary>LINKTYPE_IPV6: raw IPv6 packets.</summary>
    IPv6 = 229,
    /// <summary>LINKTYPE_LINUX_SLL2: Linux "cooked" capture, version 2 (20-byte pseudo-header).</summary>
    LinuxSll2 = 276,
}
