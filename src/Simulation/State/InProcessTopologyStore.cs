using NetFabric.Simulation.Topology;

namespace NetFabric.Simulation.State;

/// <summary>
/// The embedded <see cref="ITopologyStore"/>: one process's topology in memory. Changes are serialised; readers
/// see the current snapshot without locking (snapshots are immutable). <see cref="Changed"/> handlers run on the
/// thread that applied the change, after it became current.
/// </summary>
public sealed class InProcessTopologyStore(TopologySnapshot initial) : ITopologyStore
{
    private readonly Lock _writeLock = new();
    private volatile TopologySnapshot _current = initial ?? throw new ArgumentNullException(nameof(initial));

    /// <inheritdoc />
    public TopologySnapshot Current => _current;

    /// <inheritdoc />
    public event Action<TopologySnapshot, TopologySnapshot>? Changed;

    /// <inheritdoc />
    public TopologySnapshot Apply(Action<TopologyBuilder> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        TopologySnapshot previous, next;
        lock (_writeLock)
        {
            previous = _current;
            next = previous.WithChanges(change);
            _current = next;
        }
        Changed?.Invoke(previous, next);
        return next;
    }
}
