using NetFabric.Simulation.Topology;

namespace NetFabric.Simulation.State;

/// <summary>
/// Where the virtual topology lives (seed 001 §1): the current validated snapshot, changes applied whole or not at
/// all, and a notification for every new version. The in-process <see cref="InProcessTopologyStore"/> is the
/// embedded default; a distributed store (etcd) implements the same contract.
/// </summary>
public interface ITopologyStore
{
    /// <summary>The current snapshot.</summary>
    TopologySnapshot Current { get; }

    /// <summary>Raised after a new version became current, with the previous and the new snapshot.</summary>
    event Action<TopologySnapshot, TopologySnapshot>? Changed;

    /// <summary>
    /// Applies <paramref name="change"/> to the current snapshot and makes the result current. The whole new topology
    /// is validated first: on a problem, <see cref="TopologyValidationException"/> names every object and field at
    /// fault and nothing changes.
    /// </summary>
    TopologySnapshot Apply(Action<TopologyBuilder> change);
}
