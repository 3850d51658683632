using System.Collections.Concurrent;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.State;

/// <summary>
/// A bridge's MAC table: (VLAN, MAC) → device port, learned from source addresses and pre-filled with static
/// entries. Thread-safe; learning is lock-free. <see cref="EntryChanged"/> fires when an entry is created or moves,
/// so the owner can invalidate the flows that relied on the old state (flooded to an unknown MAC, or sent it to
/// its old port).
/// </summary>
public sealed class MacTable
{
    private readonly ConcurrentDictionary<(int Vlan, MacAddress Mac), Entry> _entries = new();

    /// <summary>Raised after an entry is learned for the first time or moves to another port, with its VLAN and MAC.</summary>
    public event Action<int, MacAddress>? EntryChanged;

    /// <summary>Number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds an entry that learning never moves.</summary>
    public void AddStatic(int vlan, MacAddress mac, ulong port) => _entries[(vlan, mac)] = new Entry(port, Static: true);

    /// <summary>The port <paramref name="mac"/> was last seen on in <paramref name="vlan"/>.</summary>
    public bool TryGetPort(int vlan, MacAddress mac, out ulong port)
    {
        bool found = _entries.TryGetValue((vlan, mac), out var entry);
        port = entry.Port;
        return found;
    }

    /// <summary>
    /// Learns that <paramref name="mac"/> is behind <paramref name="port"/>: returns true when that is news (a new
    /// entry or a move). Static entries and multicast sources are never learned.
    /// </summary>
    public bool Learn(int vlan, MacAddress mac, ulong port)
    {
        if (mac.IsMulticast) return false;
        var key = (vlan, mac);
        while (true)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                if (existing.Static || existing.Port == port) return false;
                if (!_entries.TryUpdate(key, new Entry(port, false), existing)) continue;
            }
            else if (!_entries.TryAdd(key, new Entry(port, false)))
            {
                continue;
            }
            EntryChanged?.Invoke(vlan, mac);
            return true;
        }
    }

    /// <summary>Forgets a learned entry (ageing, a port going away); static entries stay. Returns true when one was removed.</summary>
    public bool Forget(int vlan, MacAddress mac)
    {
        var key = (vlan, mac);
        if (!_entries.TryGetValue(key, out var entry) || entry.Static) return false;
        if (!_entries.TryRemove(new KeyValuePair<(int, MacAddress), Entry>(key, entry))) return false;
        EntryChanged?.Invoke(vlan, mac);
        return true;
    }

    /// <summary>
    /// One ageing pass (seed 001 §6: learned entries are reference-counted by the cached decisions that rely on
    /// them). A learned entry that <paramref name="isReferenced"/> says some cached flow still relies on stays; one
    /// that nothing relies on is noted idle, and forgotten once it has stayed idle for <paramref name="ageingTime"/>
    /// (raising <see cref="EntryChanged"/>, so flows that would flood for it are re-simulated). Static entries never
    /// age. Returns the number of entries forgotten.
    /// </summary>
    public int Age(DateTimeOffset now, TimeSpan ageingTime, Func<int, MacAddress, bool> isReferenced)
    {
        ArgumentNullException.ThrowIfNull(isReferenced);
        int forgotten = 0;
        foreach (var (key, entry) in _entries)
        {
            if (entry.Static) continue;
            // Updates are compare-and-swap on the whole entry: a concurrent move (a new entry) wins over ageing.
            if (isReferenced(key.Vlan, key.Mac))
            {
                if (entry.IdleSince is not null) _entries.TryUpdate(key, entry with { IdleSince = null }, entry);
            }
            else if (entry.IdleSince is not { } idleSince)
            {
                _entries.TryUpdate(key, entry with { IdleSince = now }, entry);
            }
            else if (now - idleSince >= ageingTime && _entries.TryRemove(new KeyValuePair<(int, MacAddress), Entry>(key, entry)))
            {
                forgotten++;
                EntryChanged?.Invoke(key.Vlan, key.Mac);
            }
        }
        return forgotten;
    }

    private readonly record struct Entry(ulong Port, bool Static, DateTimeOffset? IdleSince = null);
}
