using System.Globalization;

namespace NetFabric.Simulation.Topology;

/// <summary>
/// The identity of a device port in a <see cref="TopologySnapshot"/>. Allocated by
/// <see cref="TopologyBuilder"/>; a successor topology reuses the id of every port whose
/// <c>device/port</c> name it keeps. Tunnel keys carry it (seed 001 §5).
/// </summary>
/// <param name="Value">The number the builder allocated (never zero for a real port).</param>
public readonly record struct PortId(ulong Value)
{
    internal const ulong TagSpace = 0x5054_0000_0000_0000UL;

    /// <summary>
    /// The invalidation tag of cached decisions that relied on this port's definition.
    /// Distinct from every <see cref="DeviceId.Tag"/>.
    /// </summary>
    public ulong Tag => TagSpace | (Value & 0xFFFF_FFFF_FFFFUL);

    /// <summary>Formats as <c>port#N</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"port#{Value}");
}
