using NetFabric.Simulation.Engine;

namespace NetFabric.Samples.CustomDevice;

/// <summary>
/// A three-port tap written against the public device contract: what enters <c>in</c> leaves by <c>out</c> and
/// a copy by <c>mirror</c>; what enters <c>out</c> goes back to <c>in</c>; the mirror port only listens. It reads
/// no header field, so its flows match on the ingress port alone — the engine narrows the mask by what devices
/// read, and a device that reads nothing yields the widest flow.
/// </summary>
public sealed class PortMirror(ulong id, ulong inPort, ulong outPort, ulong mirrorPort) : IVirtualDevice
{
    /// <inheritdoc />
    public ulong Id => id;

    /// <inheritdoc />
    public string Name => "port-mirror";

    /// <inheritdoc />
    public DeviceVerdict Process(SimulationContext context, ulong ingressPort)
    {
        if (ingressPort == inPort) return DeviceVerdict.Flood([outPort, mirrorPort], "forward and mirror");
        if (ingressPort == outPort) return DeviceVerdict.Forward(inPort, "return path, not mirrored");
        return DeviceVerdict.Drop("the mirror port only listens");
    }
}
