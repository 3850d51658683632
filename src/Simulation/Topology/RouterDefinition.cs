namespace NetFabric.Simulation.Topology;

/// <summary>An IPv4 virtual router (seed 001 §7): ports with MAC and address, and a forwarding table.</summary>
public sealed record RouterDefinition : DeviceDefinition
{
    /// <summary>The forwarding table in declaration order (lookup is by longest prefix, not by order).</summary>
    public IReadOnlyList<RouteDefinition> Routes { get; init; } = [];

    /// <inheritdoc />
    public override string KindName => "router";

    /// <summary>Value equality: ports and routes element by element.</summary>
    public bool Equals(RouterDefinition? other) => base.Equals(other) && Routes.SequenceEqual(other!.Routes);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Routes.Count);
}
