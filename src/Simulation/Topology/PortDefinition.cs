using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.Topology;

/// <summary>
/// One port of a bridge or router, as configured. Immutable; compared by value. Built by
/// <see cref="TopologyBuilder"/>, which guarantees the invariants documented on each member.
/// </summary>
public sealed record PortDefinition
{
    /// <summary>The port's identity.</summary>
    public required PortId Id { get; init; }

    /// <summary>The port's name, unique within its device (files and links say <c>device/port</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The device the port belongs to.</summary>
    public required DeviceId Device { get; init; }

    /// <summary>Exterior (bound to a host interface) or interior (linked to a peer).</summary>
    public required PortKind Kind { get; init; }

    /// <summary>For an exterior port, the interface it is bound to (e.g. <c>vm1-tap</c> or <c>afpacket:veth0</c>); otherwise null.</summary>
    public string? HostInterface { get; init; }

    /// <summary>For an exterior port, the host that owns the interface, or null for "this host".</summary>
    public string? Host { get; init; }

    /// <summary>For an interior port, the peer port it is linked to; always set on interior ports of a valid topology.</summary>
    public PortId? Peer { get; init; }

    /// <summary>For a router port, its MAC address; null on bridge ports.</summary>
    public MacAddress? Mac { get; init; }

    /// <summary>For a router port, its address and subnet (e.g. <c>198.18.1.1/24</c>); null on bridge ports.</summary>
    public IPv4Prefix? Address { get; init; }

    /// <summary>For a bridge port, its access VLAN (1..4094), or null when untagged.</summary>
    public int? Vlan { get; init; }

    /// <summary>
    /// True when exactly one host sits behind the port, so the router may answer ARP between such
    /// ports itself and a VM needs no /30 per link (seed 001 §7, single-host ports).
    /// </summary>
    public bool SingleHost { get; init; }
}
