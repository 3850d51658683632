using NetFabric.Simulation.State;

namespace NetFabric.Simulation.Engine;

/// <summary>Keeps a <see cref="DecisionEngine"/> on the current version of an <see cref="ITopologyStore"/>.</summary>
public static class TopologySubscription
{
    /// <summary>
    /// Switches <paramref name="engine"/> to every new version <paramref name="store"/> publishes (invalidating the
    /// flows of what changed, see <see cref="DecisionEngine.Update"/>) until the returned handle is disposed.
    /// </summary>
    public static IDisposable Follow(this DecisionEngine engine, ITopologyStore store)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(store);
        void OnChanged(Topology.TopologySnapshot previous, Topology.TopologySnapshot next) => engine.Update(next);
        store.Changed += OnChanged;
        if (!ReferenceEquals(engine.Topology, store.Current)) engine.Update(store.Current);
        return new Unsubscriber(() => store.Changed -= OnChanged);
    }

    private sealed class Unsubscriber(Action unsubscribe) : IDisposable
    {
        private Action? _unsubscribe = unsubscribe;

        public void Dispose() => Interlocked.Exchange(ref _unsubscribe, null)?.Invoke();
    }
}
