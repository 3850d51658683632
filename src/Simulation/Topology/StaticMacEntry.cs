using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.Topology;

/// <summary>A pre-populated bridge MAC table entry (seed 001 §6): frames to <paramref name="Mac"/> on <paramref name="Vlan"/> leave by <paramref name="Port"/>.</summary>
/// <param name="Mac">The destination MAC address.</param>
/// <param name="Vlan">The VLAN the entry applies to (1..4094), or null for untagged frames (as <see cref="PortDefinition.Vlan"/>).</param>
/// <param name="Port">The bridge port that leads to the address.</param>
public readonly record struct StaticMacEntry(MacAddress Mac, int? Vlan, PortId Port);
