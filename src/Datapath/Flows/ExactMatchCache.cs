namespace NetFabric.Datapath.Flows;

// STUB: the lead's placeholder; the classifier engineer replaces this file, keeping the public API.
/// <summary>A per-worker exact-match cache in front of the megaflow classifier.</summary>
public sealed class ExactMatchCache
{
    private readonly Dictionary<FlowKey, FlowEntry> _entries = [];

    /// <summary>Creates a cache of <paramref name="entries"/> slots.</summary>
    public ExactMatchCache(int entries = 8192) => Capacity = entries;

    /// <summary>Slots.</summary>
    public int Capacity { get; }

    /// <summary>The live entry cached for <paramref name="key"/>, or null.</summary>
    public FlowEntry? Lookup(in FlowKey key, ulong hash) => _entries.TryGetValue(key, out var entry) && entry.IsAlive ? entry : null;

    /// <summary>Caches <paramref name="entry"/> for <paramref name="key"/>.</summary>
    public void Insert(in FlowKey key, ulong hash, FlowEntry entry) => _entries[key] = entry;

    /// <summary>Forgets everything.</summary>
    public void Clear() => _entries.Clear();
}
