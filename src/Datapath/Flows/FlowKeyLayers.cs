namespace NetFabric.Datapath.Flows;

/// <summary>How far <see cref="FlowKey.Extract(ReadOnlySpan{byte}, uint, in TunnelMetadata, out FlowKey)"/> got through a frame.</summary>
public enum FlowKeyLayers : byte
{
    /// <summary>Not even an Ethernet header: only in-port and tunnel fields are set.</summary>
    None = 0,
    /// <summary>Ethernet (and VLAN tags) parsed; no network layer, or one NetFabric does not key on.</summary>
    Ethernet = 1,
    /// <summary>IPv4, IPv6 or ARP parsed; no transport header (or a later fragment, or an unknown protocol).</summary>
    Network = 2,
    /// <summary>TCP, UDP, ICMP or ICMPv6 header parsed.</summary>
    Transport = 3,
}
