using System.Diagnostics;
using NetFabric.Datapath.Actions;

namespace NetFabric.Datapath.Flows;

// STUB: the lead's placeholder (a locked linear list) so the pipeline compiles; the classifier engineer
// replaces this file with the tuple-space implementation, keeping the public API.
/// <summary>The megaflow cache: wildcard flows looked up by tuple-space search.</summary>
public sealed class MegaflowClassifier
{
    private readonly List<FlowEntry> _entries = [];
    private long _sequence;

    /// <summary>Creates a classifier holding at most <paramref name="capacity"/> flows.</summary>
    public MegaflowClassifier(int capacity = 65536) => Capacity = capacity;

    /// <summary>Most flows held at once.</summary>
    public int Capacity { get; }

    /// <summary>Live flows.</summary>
    public int Count { get { lock (_entries) return _entries.Count; } }

    /// <summary>Installs a flow.</summary>
    public FlowEntry Insert(in FlowMatch match, ActionProgram actions, ReadOnlySpan<ulong> tags = default, FlowTimeouts? timeouts = null, int priority = 0, long now = 0)
    {
        var entry = new FlowEntry(match, priority, actions, tags, timeouts ?? FlowTimeouts.Default, now == 0 ? Stopwatch.GetTimestamp() : now, Interlocked.Increment(ref _sequence));
        lock (_entries) _entries.Add(entry);
        return entry;
    }

    /// <summary>The best live flow covering <paramref name="key"/>, or null.</summary>
    public FlowEntry? Lookup(in FlowKey key)
    {
        lock (_entries)
        {
            FlowEntry? best = null;
            foreach (var entry in _entries)
                if (entry.Match.Covers(key) && (best is null || entry.Priority > best.Priority || (entry.Priority == best.Priority && entry.Sequence > best.Sequence)))
                    best = entry;
            return best;
        }
    }

    /// <summary>Looks up every key; returns the number of hits.</summary>
    public int LookupBatch(ReadOnlySpan<FlowKey> keys, Span<FlowEntry?> results)
    {
        int hits = 0;
        for (int i = 0; i < keys.Length; i++)
            if ((results[i] = Lookup(keys[i])) is not null) hits++;
        return hits;
    }

    /// <summary>Removes one flow.</summary>
    public bool Remove(FlowEntry entry)
    {
        lock (_entries)
        {
            entry.Kill();
            return _entries.Remove(entry);
        }
    }

    /// <summary>Removes every flow carrying <paramref name="tag"/>.</summary>
    public int InvalidateByTag(ulong tag)
    {
        lock (_entries)
        {
            var dead = _entries.Where(e => e.Tags.Contains(tag)).ToList();
            foreach (var entry in dead) { entry.Kill(); _entries.Remove(entry); }
            return dead.Count;
        }
    }

    /// <summary>Removes every flow.</summary>
    public int InvalidateAll()
    {
        lock (_entries)
        {
            foreach (var entry in _entries) entry.Kill();
            int count = _entries.Count;
            _entries.Clear();
            return count;
        }
    }

    /// <summary>Removes flows whose timeouts passed.</summary>
    public int Expire(long now)
    {
        lock (_entries)
        {
            var dead = _entries.Where(e => e.IsExpired(now)).ToList();
            foreach (var entry in dead) { entry.Kill(); _entries.Remove(entry); }
            return dead.Count;
        }
    }
}
