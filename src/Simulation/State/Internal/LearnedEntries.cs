using System.Collections.Concurrent;

namespace NetFabric.Simulation.State.Internal;

/// The entries of a device table that learns from traffic — a bridge's MAC table, its IP → MAC table: lock-free
/// learning, configured entries that learning never changes and that never age, and ageing by reference (seed 001
/// §6). <paramref name="changed"/> is called after an entry is learned, changes value or is forgotten, so the owner
/// can invalidate the flows that relied on the old state.
internal sealed class LearnedEntries<TKey, TValue>(Action<TKey> changed) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();

    public int Count => _entries.Count;

    /// Adds or replaces a configured entry. Raises nothing: configuration comes before the flows that use it.
    public void Configure(TKey key, TValue value) => _entries[key] = new Entry(value, Configured: true);

    public bool TryGet(TKey key, out TValue value)
    {
        bool found = _entries.TryGetValue(key, out var entry);
        value = entry.Value;
        return found;
    }

    /// Learns <paramref name="value"/> for <paramref name="key"/>: true when that is news (a new entry or a changed
    /// value). A configured entry never changes; seeing a learned entry's value again makes it current (not idle).
    public bool Learn(TKey key, TValue value)
    {
        while (true)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                if (existing.Configured) return false;
                if (EqualityComparer<TValue>.Default.Equals(existing.Value, value))
                {
                    if (existing.IdleSince is not null) _entries.TryUpdate(key, existing with { IdleSince = null }, existing);
                    return false;
                }
                if (!_entries.TryUpdate(key, new Entry(value, Configured: false), existing)) continue;
            }
            else if (!_entries.TryAdd(key, new Entry(value, Configured: false)))
            {
                continue;
            }
            changed(key);
            return true;
        }
    }

    /// Forgets a learned entry; configured ones stay. True when one was removed.
    public bool Forget(TKey key)
    {
        if (!_entries.TryGetValue(key, out var entry) || entry.Configured) return false;
        if (!_entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry))) return false;
        changed(key);
        return true;
    }

    /// One ageing pass: a learned entry that <paramref name="isReferenced"/> says some cached flow relies on stays
    /// current; one nothing relies on is noted idle, and forgotten once it has stayed idle for
    /// <paramref name="ageingTime"/>. Returns the number forgotten.
    public int Age(DateTimeOffset now, TimeSpan ageingTime, Func<TKey, bool> isReferenced)
    {
        ArgumentNullException.ThrowIfNull(isReferenced);
        int forgotten = 0;
        foreach (var (key, entry) in _entries)
        {
            if (entry.Configured) continue;
            // Updates are compare-and-swap on the whole entry: a concurrent change (a new entry) wins over ageing.
            if (isReferenced(key))
            {
                if (entry.IdleSince is not null) _entries.TryUpdate(key, entry with { IdleSince = null }, entry);
            }
            else if (entry.IdleSince is not { } idleSince)
            {
                _entries.TryUpdate(key, entry with { IdleSince = now }, entry);
            }
            else if (now - idleSince >= ageingTime && _entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry)))
            {
                forgotten++;
                changed(key);
            }
        }
        return forgotten;
    }

    private readonly record struct Entry(TValue Value, bool Configured, DateTimeOffset? IdleSince = null);
}
