namespace NetFabric.Simulation.Engine;

/// <summary>
/// The contract every simulated device is written against — the built-in bridge and router as much as an
/// appliance's own policer or mirror. The decision engine calls <see cref="Process"/> when a packet enters one
/// of the device's ports; the device inspects the packet only through the <see cref="SimulationContext"/> (its
/// reads narrow the flow's mask, its writes join the flow's actions), tags what it relied on, and answers where
/// the packet goes next. Implementations must be thread-safe (several workers simulate at once) and must not
/// block: state that is not ready (an ARP entry) is answered with <see cref="DeviceVerdict.Pending"/>.
/// </summary>
public interface IVirtualDevice
{
    /// <summary>The device's identity, also its invalidation tag: flows that traversed it carry it.</summary>
    ulong Id { get; }

    /// <summary>The device's name, for traces and errors.</summary>
    string Name { get; }

    /// <summary>Decides for the packet in <paramref name="context"/> that arrived on <paramref name="ingressPort"/>.</summary>
    DeviceVerdict Process(SimulationContext context, ulong ingressPort);

    /// <summary>
    /// Called once per egress port of a <see cref="VerdictKind.Forward"/> or <see cref="VerdictKind.Flood"/>
    /// verdict, just before the packet leaves through <paramref name="egressPort"/>, for changes that differ per
    /// port (a bridge tags or untags by the port's VLAN). Changes made here apply to this copy only: the engine
    /// simulates each egress branch from the state <see cref="Process"/> left. Does nothing by default.
    /// </summary>
    void Egress(SimulationContext context, ulong egressPort) { }
}
