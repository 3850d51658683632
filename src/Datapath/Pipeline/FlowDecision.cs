using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;

namespace NetFabric.Datapath.Pipeline;

/// <summary>
/// A resolver's answer for a packet: the wildcard match it holds for, the actions, the tags of everything it
/// relied on (for invalidation), timeouts, and packets to emit. Immutable; allocated per resolution (slow path).
/// </summary>
public sealed class FlowDecision
{
    /// <summary>The packets this decision holds for. Cached as a megaflow when <see cref="Cacheable"/>.</summary>
    public required FlowMatch Match { get; init; }

    /// <summary>What to do with the packet (and, once cached, with every packet the match covers).</summary>
    public required ActionProgram Actions { get; init; }

    /// <summary>Precedence among overlapping cached flows (higher wins).</summary>
    public int Priority { get; init; }

    /// <summary>Ids of the devices and state entries the decision relied on.</summary>
    public IReadOnlyList<ulong> Tags { get; init; } = [];

    /// <summary>When the cached flow expires.</summary>
    public FlowTimeouts Timeouts { get; init; } = FlowTimeouts.Default;

    /// <summary>False for one-shot decisions (e.g. answering a TTL expiry) that must not be cached.</summary>
    public bool Cacheable { get; init; } = true;

    /// <summary>Packets to send in addition to applying the actions.</summary>
    public IReadOnlyList<EmittedPacket> Emit { get; init; } = [];
}
