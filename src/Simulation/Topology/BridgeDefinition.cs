namespace NetFabric.Simulation.Topology;

/// <summary>A MAC-learning virtual switch (seed 001 §6) with its pre-populated MAC table and ARP cache.</summary>
public sealed record BridgeDefinition : DeviceDefinition
{
    /// <summary>Pre-populated MAC table entries (known VM MACs); each names a port of this bridge.</summary>
    public IReadOnlyList<StaticMacEntry> StaticMacs { get; init; } = [];

    /// <summary>Pre-filled ARP cache entries the bridge answers itself instead of flooding.</summary>
    public IReadOnlyList<StaticArpEntry> StaticArp { get; init; } = [];

    /// <inheritdoc />
    public override string KindName => "bridge";

    /// <summary>Value equality: ports and both tables element by element.</summary>
    public bool Equals(BridgeDefinition? other) =>
        base.Equals(other) && StaticMacs.SequenceEqual(other!.StaticMacs) && StaticArp.SequenceEqual(other.StaticArp);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), StaticMacs.Count, StaticArp.Count);
}
