namespace NetFabric.Simulation.Topology;

/// <summary>
/// A virtual device as configured: a <see cref="BridgeDefinition"/> or a <see cref="RouterDefinition"/>.
/// Immutable; compared by value, lists element by element, so two snapshots can be diffed per device
/// (<see cref="TopologySnapshot.ChangedTags"/>).
/// </summary>
public abstract record DeviceDefinition
{
    private protected DeviceDefinition() { }

    /// <summary>The device's identity.</summary>
    public required DeviceId Id { get; init; }

    /// <summary>The device's name, unique in its topology.</summary>
    public required string Name { get; init; }

    /// <summary>The device's ports in declaration order.</summary>
    public required IReadOnlyList<PortDefinition> Ports { get; init; }

    /// <summary>"bridge" or "router", as error messages and files say it.</summary>
    public abstract string KindName { get; }

    /// <summary>The port called <paramref name="name"/>, or null.</summary>
    public PortDefinition? FindPort(string name)
    {
        foreach (var port in Ports)
            if (port.Name == name) return port;
        return null;
    }

    /// <summary>Value equality: same kind, id, name and ports.</summary>
    public virtual bool Equals(DeviceDefinition? other) =>
        ReferenceEquals(this, other)
        || (other is not null && EqualityContract == other.EqualityContract && Id == other.Id && Name == other.Name
            && Ports.SequenceEqual(other.Ports));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(EqualityContract, Id, Name, Ports.Count);
}
