using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.Topology;

/// <summary>A pre-filled bridge ARP cache entry (seed 001 §6): the bridge answers ARP for <paramref name="Address"/> with <paramref name="Mac"/> itself.</summary>
/// <param name="Address">The IPv4 address asked for.</param>
/// <param name="Mac">The MAC address to answer with.</param>
public readonly record struct StaticArpEntry(IPv4Address Address, MacAddress Mac);
