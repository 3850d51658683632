using System.Collections.Concurrent;
using NetFabric.Simulation.Topology;

namespace NetFabric.Simulation.State;

/// <summary>The embedded <see cref="IStateStore"/>: learned device state in this process's memory.</summary>
public sealed class InProcessStateStore(TimeProvider? time = null) : IStateStore
{
    private readonly ConcurrentDictionary<DeviceId, MacTable> _macTables = new();
    private readonly ConcurrentDictionary<DeviceId, ArpCache> _arpCaches = new();

    /// <inheritdoc />
    public MacTable MacTable(DeviceId bridge) => _macTables.GetOrAdd(bridge, _ => new MacTable());

    /// <inheritdoc />
    public ArpCache ArpCache(DeviceId router) => _arpCaches.GetOrAdd(router, _ => new ArpCache(time));

    /// <inheritdoc />
    public void Forget(DeviceId device)
    {
        _macTables.TryRemove(device, out _);
        _arpCaches.TryRemove(device, out _);
    }
}
