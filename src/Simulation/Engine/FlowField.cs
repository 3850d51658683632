using NetFabric.Datapath.Flows;

namespace NetFabric.Simulation.Engine;

/// <summary>
/// A field of <see cref="FlowKey"/> that a device can read or write during simulation; each maps to the bytes
/// of the key it occupies, so a read can add exactly those bytes to the flow's mask.
/// </summary>
public enum FlowField
{
    /// <summary>The ingress datapath port.</summary>
    InPort,
    /// <summary>The tunnel id the packet arrived with.</summary>
    TunnelId,
    /// <summary>Ethernet source.</summary>
    EthernetSource,
    /// <summary>Ethernet destination.</summary>
    EthernetDestination,
    /// <summary>EtherType.</summary>
    EtherType,
    /// <summary>VLAN TCI (with the tag-present bit).</summary>
    VlanTci,
    /// <summary>IPv4/IPv6 source, or ARP SPA.</summary>
    NetworkSource,
    /// <summary>IPv4/IPv6 destination, or ARP TPA.</summary>
    NetworkDestination,
    /// <summary>IP protocol or ARP operation.</summary>
    NetworkProtocol,
    /// <summary>IP TOS / traffic class.</summary>
    NetworkTos,
    /// <summary>IP TTL / hop limit.</summary>
    NetworkTtl,
    /// <summary>Fragment state.</summary>
    Fragment,
    /// <summary>TCP/UDP source port, ICMP type.</summary>
    TransportSource,
    /// <summary>TCP/UDP destination port, ICMP code.</summary>
    TransportDestination,
    /// <summary>TCP flags.</summary>
    TcpFlags,
    /// <summary>ARP sender hardware address.</summary>
    ArpSourceHardware,
    /// <summary>ARP target hardware address.</summary>
    ArpTargetHardware,
}
