using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.Topology;

/// <summary>
/// One entry of a router's forwarding table (seed 001 §7): longest-prefix match on
/// <see cref="Destination"/>, then on <see cref="Source"/>; equal matches are balanced by
/// <see cref="Weight"/>. Immutable; compared by value.
/// </summary>
public sealed record RouteDefinition
{
    /// <summary>The destination prefix the route matches.</summary>
    public required IPv4Prefix Destination { get; init; }

    /// <summary>The source prefix the route also requires, or null for any source.</summary>
    public IPv4Prefix? Source { get; init; }

    /// <summary>The next-hop gateway (inside the egress port's subnet), or null when the destination is on-link.</summary>
    public IPv4Address? Gateway { get; init; }

    /// <summary>The port of this router the packet leaves by; always set on <see cref="RouteType.Normal"/> routes.</summary>
    public PortId? EgressPort { get; init; }

    /// <summary>The share of traffic among equal-cost routes; at least 1.</summary>
    public int Weight { get; init; } = 1;

    /// <summary>What the router does with a matching packet.</summary>
    public RouteType Type { get; init; } = RouteType.Normal;
}
