namespace NetFabric.Simulation.Topology;

/// <summary>Whether a port faces a host's network interface or another virtual device (seed 001 §1).</summary>
public enum PortKind
{
    /// <summary>Bound to a network interface of some host (a VM's tap, a NIC facing the Internet).</summary>
    Exterior,

    /// <summary>Linked to exactly one peer interior port of another device.</summary>
    Interior,
}
