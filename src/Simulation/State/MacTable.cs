using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.State.Internal;

namespace NetFabric.Simulation.State;

/// <summary>
/// A bridge's MAC table: (VLAN, MAC) → device port, learned from source addresses and pre-filled with static
/// entries. Thread-safe; learning is lock-free. <see cref="EntryChanged"/> fires when an entry is created, moves or
/// is forgotten, so the owner can invalidate the flows that relied on the old state (flooded to an unknown MAC, or
/// sent it to its old port).
/// </summary>
public sealed class MacTable
{
    private readonly LearnedEntries<(int Vlan, MacAddress Mac), ulong> _entries;

    /// <summary>Creates an empty table.</summary>
    public MacTable() => _entries = new(key => EntryChanged?.Invoke(key.Vlan, key.Mac));

    /// <summary>Raised after an entry is learned for the first time, moves to another port or is forgotten, with its VLAN and MAC.</summary>
    public event Action<int, MacAddress>? EntryChanged;

    /// <summary>Number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds an entry that learning never moves and ageing never removes.</summary>
    public void AddStatic(int vlan, MacAddress mac, ulong port) => _entries.Configure((vlan, mac), port);

    /// <summary>The port <paramref name="mac"/> was last seen on in <paramref name="vlan"/>.</summary>
    public bool TryGetPort(int vlan, MacAddress mac, out ulong port) => _entries.TryGet((vlan, mac), out port);

    /// <summary>
    /// Learns that <paramref name="mac"/> is behind <paramref name="port"/>: returns true when that is news (a new
    /// entry or a move). Static entries and multicast sources are never learned; seeing a MAC again on its port
    /// makes its entry current (no longer idle).
    /// </summary>
    public bool Learn(int vlan, MacAddress mac, ulong port) => !mac.IsMulticast && _entries.Learn((vlan, mac), port);

    /// <summary>Forgets a learned entry (ageing, a port going away); static entries stay. Returns true when one was removed.</summary>
    public bool Forget(int vlan, MacAddress mac) => _entries.Forget((vlan, mac));

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
        return _entries.Age(now, ageingTime, key => isReferenced(key.Vlan, key.Mac));
    }
}
