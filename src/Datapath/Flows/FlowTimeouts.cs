namespace NetFabric.Datapath.Flows;

/// <summary>
/// When a cached flow expires: <see cref="Idle"/> after its last hit, <see cref="Hard"/> after it was installed,
/// whichever comes first. <see cref="TimeSpan.Zero"/> disables that timeout.
/// </summary>
/// <param name="Idle">Expire this long after the last packet matched.</param>
/// <param name="Hard">Expire this long after installation regardless of use.</param>
public readonly record struct FlowTimeouts(TimeSpan Idle, TimeSpan Hard)
{
    /// <summary>Ten seconds idle, no hard timeout (Open vSwitch's datapath default idle time).</summary>
    public static FlowTimeouts Default => new(TimeSpan.FromSeconds(10), TimeSpan.Zero);

    /// <summary>Never expire (only eviction or invalidation remove the flow).</summary>
    public static FlowTimeouts Never => new(TimeSpan.Zero, TimeSpan.Zero);
}
