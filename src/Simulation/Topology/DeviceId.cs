using System.Globalization;

namespace NetFabric.Simulation.Topology;

/// <summary>
/// The identity of a virtual device (bridge or router) in a <see cref="TopologySnapshot"/>. Allocated by
/// <see cref="TopologyBuilder"/>; a successor topology reuses the id of every device whose name it
/// keeps, so ids stay stable across versions while files name devices only by name.
/// </summary>
/// <param name="Value">The number the builder allocated (never zero for a real device).</param>
public readonly record struct DeviceId(ulong Value)
{
    // "DV" in the top 16 bits keeps device tags apart from port tags ("PT") and from
    // LearningSwitch's MAC tags ("LS"), so one classifier can hold all of them.
    internal const ulong TagSpace = 0x4456_0000_0000_0000UL;

    /// <summary>
    /// The invalidation tag of cached decisions whose simulation traversed this device
    /// (see <c>MegaflowClassifier.InvalidateByTag</c>). Distinct from every <see cref="PortId.Tag"/>.
    /// </summary>
    public ulong Tag => TagSpace | (Value & 0xFFFF_FFFF_FFFFUL);

    /// <summary>Formats as <c>device#N</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"device#{Value}");
}
