namespace NetFabric.Datapath.Pipeline.Internal;

/// One worker's counters: written by that worker only (plain adds), read racily by snapshots and metrics.
internal sealed class WorkerCounters
{
    public long Packets, ExactMatchHits, ExactMatchSkipped, MegaflowHits, Misses, Upcalls, UpcallsRateLimited, Parked, ParkingOverflows,
        ParkingTimeouts, ResolverErrors, FlowsInstalled, Emitted, Malformed, DroppedByAction, DroppedOther;

    public DatapathStatistics Snapshot() => new(
        Volatile.Read(ref Packets), Volatile.Read(ref ExactMatchHits), Volatile.Read(ref ExactMatchSkipped), Volatile.Read(ref MegaflowHits), Volatile.Read(ref Misses),
        Volatile.Read(ref Upcalls), Volatile.Read(ref UpcallsRateLimited), Volatile.Read(ref Parked), Volatile.Read(ref ParkingOverflows),
        Volatile.Read(ref ParkingTimeouts), Volatile.Read(ref ResolverErrors), Volatile.Read(ref FlowsInstalled), Volatile.Read(ref Emitted),
        Volatile.Read(ref Malformed), Volatile.Read(ref DroppedByAction), Volatile.Read(ref DroppedOther));
}
