namespace NetFabric.Datapath.Protocols;

/// <summary>EtherType values NetFabric parses (IEEE 802.3, IANA registry).</summary>
public static class EtherType
{
    /// <summary>Internet Protocol version 4.</summary>
    public const ushort IPv4 = 0x0800;
    /// <summary>Address Resolution Protocol.</summary>
    public const ushort Arp = 0x0806;
    /// <summary>IEEE 802.1Q customer VLAN tag (C-tag).</summary>
    public const ushort Vlan = 0x8100;
    /// <summary>IEEE 802.1ad service VLAN tag (S-tag, outer tag of QinQ).</summary>
    public const ushort QinQ = 0x88A8;
    /// <summary>Internet Protocol version 6.</summary>
    public const ushort IPv6 = 0x86DD;
    /// <summary>Transparent Ethernet bridging, the protocol type of Ethernet inside GRE and Geneve.</summary>
    public const ushort TransparentEthernetBridging = 0x6558;
    /// <summary>Values below this are IEEE 802.3 length fields, not EtherTypes.</summary>
    public const ushort MinimumEtherType = 0x0600;
}
