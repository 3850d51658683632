using System.Collections.Concurrent;
using NetFabric.Simulation.Topology;

namespace NetFabric.Simulation.State;

/// <summary>The embedded <see cref="IStateStore"/>: learned device state in this process's memory.</summary>
public sealed class InProcessStateStore(TimeProvider? time = null) : IStateStore
{
    private readonly ConcurrentDictionary<DeviceId, MacTable> _macTables = new();
    private readonly ConcurrentDictionary<DeviceId, ArpCache> _arpCaches = new();
    private readonly ConcurrentDictionary<DeviceId, HostLocationTable> _hostLocations = new();

    /// <inheritdoc />
    public MacTable MacTable(DeviceId bridge) => _macTables.GetOrAdd(bridge, _ => new MacTable());

    /// <inheritdoc />
    public ArpCache ArpCache(DeviceId router) => _arpCaches.GetOrAdd(router, _ => new ArpCache(time));

    /// <inheritdoc />
    public HostLocationTable HostLocations(DeviceId router) => _hostLocations.GetOrAdd(router, _ => new HostLocationTable());

    /// <inheritdoc />
    public void Forget(DeviceId device)
    {
        _hostLocations.TryRemove(device, out _);
        _macTables.TryRemove(device, out _);
        _arpCaches.TryRemove(device, out _);
    }
}
