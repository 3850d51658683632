namespace NetFabric.Datapath.Pipeline;

/// <summary>
/// What <see cref="IFlowResolver.Resolve"/> returns: a decision to apply (and usually cache), or "pending": park
/// the packet and ask again after <see cref="RetryAfter"/> (e.g. while an ARP request is outstanding).
/// </summary>
public readonly struct FlowResolution
{
    private FlowResolution(FlowDecision? decision, TimeSpan retryAfter, IReadOnlyList<EmittedPacket>? emit)
    {
        Decision = decision;
        RetryAfter = retryAfter;
        _emit = emit;
    }

    private readonly IReadOnlyList<EmittedPacket>? _emit;

    /// <summary>Packets to send now while the packet waits (e.g. the ARP request whose answer it waits for); pending only.</summary>
    public IReadOnlyList<EmittedPacket> Emit => _emit ?? [];

    /// <summary>The decision, or null when pending.</summary>
    public FlowDecision? Decision { get; }

    /// <summary>How long to park the packet before resolving it again (pending only).</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>True when the packet should be parked.</summary>
    public bool IsPending => Decision is null;

    /// <summary>Apply (and, when cacheable, install) <paramref name="decision"/>.</summary>
    public static FlowResolution Decided(FlowDecision decision) => new(decision ?? throw new ArgumentNullException(nameof(decision)), default, null);

    /// <summary>
    /// Park the packet and resolve it again after <paramref name="retryAfter"/>, sending <paramref name="emit"/>
    /// meanwhile (the request whose answer the decision waits for).
    /// </summary>
    public static FlowResolution Pending(TimeSpan retryAfter, IReadOnlyList<EmittedPacket>? emit = null) => new(null, retryAfter, emit);

    /// <summary>Converts a decision into a resolution.</summary>
    public static implicit operator FlowResolution(FlowDecision decision) => Decided(decision);
}
