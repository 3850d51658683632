namespace NetFabric.Simulation.Invalidation;

/// <summary>
/// The most recent tag invalidations, in order, so a simulation can tell whether state it relied on changed while
/// it ran. Without this, a decision simulated against an entry that changed mid-simulation — often by the same
/// simulation: a bridge that floods to an unknown MAC and then learns that MAC from the routed copy coming back —
/// would be installed after the invalidation that should have removed it, and live on stale. Lock-free: any
/// thread records, any thread checks.
/// </summary>
internal sealed class InvalidationLog
{
    private const int Size = 1024;
    private readonly ulong[] _tags = new ulong[Size];
    // The sequence number each slot holds, written after its tag: a slot whose number is not the one a reader
    // expects is being overwritten, and the reader assumes the worst.
    private readonly long[] _published = new long[Size];
    private long _sequence;

    /// <summary>The sequence number of the latest invalidation; a simulation notes it before it starts.</summary>
    public long Current => Volatile.Read(ref _sequence);

    /// <summary>Records that flows tagged <paramref name="tag"/> were (or are about to be) invalidated.</summary>
    public void Record(ulong tag)
    {
        long sequence = Interlocked.Increment(ref _sequence);
        int slot = (int)(sequence & (Size - 1));
        _tags[slot] = tag;
        Volatile.Write(ref _published[slot], sequence);
    }

    /// <summary>
    /// True when a tag in <paramref name="tags"/> was invalidated after the simulation relied on it —
    /// <paramref name="reliedAt"/>[i] is <see cref="Current"/> when tags[i] was added, and <paramref name="since"/>
    /// when the simulation started — or when that cannot be ruled out (more invalidations than the log holds, or
    /// one still being recorded). An invalidation before the tag was added is the simulation seeing the new state
    /// (a bridge learning the source it then relies on), not a stale decision.
    /// </summary>
    public bool Touched(long since, IReadOnlyList<ulong> tags, IReadOnlyList<long> reliedAt)
    {
        long current = Current;
        if (current == since) return false;
        if (current - since > Size) return true;
        for (long sequence = since + 1; sequence <= current; sequence++)
        {
            int slot = (int)(sequence & (Size - 1));
            if (Volatile.Read(ref _published[slot]) != sequence) return true;
            ulong tag = _tags[slot];
            for (int i = 0; i < tags.Count; i++)
                if (tags[i] == tag && sequence > reliedAt[i]) return true;
            if (Volatile.Read(ref _published[slot]) != sequence) return true;
        }
        return false;
    }
}
