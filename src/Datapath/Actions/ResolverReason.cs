namespace NetFabric.Datapath.Actions;

/// <summary>Why a packet goes to the flow resolver.</summary>
public enum ResolverReason
{
    /// <summary>No cached flow matched (an upcall).</summary>
    Miss = 0,
    /// <summary>Decrementing the TTL / hop limit would reach zero: the resolver answers with ICMP time exceeded.</summary>
    TtlExpired = 1,
    /// <summary>The action program sends the packet to the resolver explicitly (e.g. to learn from it).</summary>
    Explicit = 2,
}
