using NetFabric.Simulation.Topology;

namespace NetFabric.Simulation.State;

/// <summary>
/// Where the learned state of the virtual devices lives (seed 001 §1): bridges' MAC tables, routers' ARP caches and host locations.
/// Decision engines that share a store share what any of them learned — as the hosts of a cloud share one
/// database. <see cref="InProcessStateStore"/> is the embedded default; a distributed store implements the same
/// contract behind the same table types. Thread-safe.
/// </summary>
public interface IStateStore
{
    /// <summary>The MAC table of bridge <paramref name="bridge"/>, created empty on first use.</summary>
    MacTable MacTable(DeviceId bridge);

    /// <summary>The ARP cache of router <paramref name="router"/>, created empty on first use.</summary>
    ArpCache ArpCache(DeviceId router);

    /// <summary>Where router <paramref name="router"/> learned each host of its single-host ports, created empty on first use.</summary>
    HostLocationTable HostLocations(DeviceId router);

        /// <summary>Drops what <paramref name="device"/> learned (the device was removed or redefined).</summary>
    void Forget(DeviceId device);
}
