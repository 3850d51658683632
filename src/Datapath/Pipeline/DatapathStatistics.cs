namespace NetFabric.Datapath.Pipeline;

/// <summary>A snapshot of a pipeline's (or one worker's) packet counters since start.</summary>
/// <param name="Packets">Packets received and processed.</param>
/// <param name="ExactMatchHits">Packets whose flow was found in the exact-match cache.</param>
/// <param name="ExactMatchSkipped">Packets that did not look the exact-match cache up because too few lookups were hitting it (<see cref="PipelineOptions.ExactMatchMinimumHitRate"/>).</param>
/// <param name="MegaflowHits">Packets whose flow was found by the megaflow classifier.</param>
/// <param name="Misses">Packets no cached flow matched.</param>
/// <param name="Upcalls">Calls made to the resolver (misses plus packets actions sent up).</param>
/// <param name="UpcallsRateLimited">Misses dropped by the per-port upcall rate limit.</param>
/// <param name="Parked">Packets parked while their resolution was pending.</param>
/// <param name="ParkingOverflows">Packets dropped because the parking queue was full.</param>
/// <param name="ParkingTimeouts">Parked packets dropped after the maximum park time.</param>
/// <param name="ResolverErrors">Resolver calls that threw.</param>
/// <param name="FlowsInstalled">Decisions installed in the megaflow cache.</param>
/// <param name="Emitted">Packets resolvers asked to emit.</param>
/// <param name="Malformed">Packets whose headers could not be fully parsed (still looked up and resolved).</param>
/// <param name="DroppedByAction">Packets dropped by a flow's actions.</param>
/// <param name="DroppedOther">Packets dropped for any other reason (no buffer, no headroom, no such port, malformed for an action, overload, resolver).</param>
public readonly record struct DatapathStatistics(
    long Packets, long ExactMatchHits, long ExactMatchSkipped, long MegaflowHits, long Misses, long Upcalls, long UpcallsRateLimited,
    long Parked, long ParkingOverflows, long ParkingTimeouts, long ResolverErrors, long FlowsInstalled, long Emitted,
    long Malformed, long DroppedByAction, long DroppedOther)
{
    /// <summary>Adds two snapshots field by field.</summary>
    public static DatapathStatistics operator +(DatapathStatistics a, DatapathStatistics b) => new(
        a.Packets + b.Packets, a.ExactMatchHits + b.ExactMatchHits, a.ExactMatchSkipped + b.ExactMatchSkipped, a.MegaflowHits + b.MegaflowHits, a.Misses + b.Misses,
        a.Upcalls + b.Upcalls, a.UpcallsRateLimited + b.UpcallsRateLimited, a.Parked + b.Parked, a.ParkingOverflows + b.ParkingOverflows,
        a.ParkingTimeouts + b.ParkingTimeouts, a.ResolverErrors + b.ResolverErrors, a.FlowsInstalled + b.FlowsInstalled,
        a.Emitted + b.Emitted, a.Malformed + b.Malformed, a.DroppedByAction + b.DroppedByAction, a.DroppedOther + b.DroppedOther);
}
