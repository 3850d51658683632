namespace NetFabric.Datapath.Flows.Internal;

/// <summary>
/// The installed flows of one classifier by id (<see cref="FlowEntry.Id"/>): the only array of the classifier that
/// holds references to flow entries. Subtable slots and the tag index hold ids instead.
/// </summary>
/// <remarks>
/// <para>Why ids: a new entry is young to the garbage collector, and writing its reference into an old object marks
/// that object's card, which every young-generation collection scans until the entry is promoted to the oldest
/// generation. Subtable slots are written at random positions of arrays that reach tens of megabytes, so with a
/// million flows cached nearly every card of the table was marked and every collection rescanned the whole table
/// (measured: two thirds of the collection pauses of a flow-setup run with 1M flows cached). Ids are plain integers,
/// and this table is written in id order (new ids count up), so the cards a burst of installs marks are few and
/// adjacent.</para>
/// <para>Writers (under the classifier's lock) store an entry with a volatile write before publishing anything that
/// names its id. Growth copies into a new array published with one volatile write, and later writes go to the new
/// array only; so a reader that reads the array reference after reading an id finds that id's entry, or a later one
/// (a reader holding an older array may see an id past its end, or a null: it treats both as a miss). An id is reused
/// after its flow is taken out (most recently freed first), so a reader must check that the entry it finds at an id
/// belongs to the subtable it probed (<see cref="FlowEntry.Shape"/>).</para>
/// </remarks>
internal sealed class FlowTable
{
    private FlowEntry?[] _entries = new FlowEntry?[16];
    private int[] _freeIds = new int[16];
    private int _freeCount;

    /// Ids below this have been used; every one of them is in use whenever <see cref="Count"/> equals it.
    public int HighWater { get; private set; }

    /// Ids in use.
    public int Count => HighWater - _freeCount;

    /// The current array, for readers: read it after the id, and bounds-check the id.
    public FlowEntry?[] Entries => Volatile.Read(ref _entries);

    /// The entry with id <paramref name="id"/> (below <see cref="HighWater"/>), or null. Writer side.
    public FlowEntry? this[int id] => _entries[id];

    /// Stores <paramref name="entry"/> under a free id (the most recently freed, else the next unused one), sets
    /// <see cref="FlowEntry.Id"/> and returns it. <paramref name="capacity"/> bounds the array's growth.
    public int Add(FlowEntry entry, int capacity)
    {
        int id;
        if (_freeCount > 0)
        {
            id = _freeIds[--_freeCount];
        }
        else
        {
            if (HighWater == _entries.Length)
            {
                var grown = new FlowEntry?[Math.Max(_entries.Length + 1, Math.Min(capacity, _entries.Length * 2))];
                _entries.AsSpan().CopyTo(grown);
                Volatile.Write(ref _entries, grown);
            }
            id = HighWater++;
        }
        entry.Id = id;
        Volatile.Write(ref _entries[id], entry);
        return id;
    }

    /// Puts <paramref name="replacement"/> under the id of the entry it replaces (one write: a reader sees one or
    /// the other).
    public void Replace(int id, FlowEntry replacement)
    {
        replacement.Id = id;
        Volatile.Write(ref _entries[id], replacement);
    }

    /// Frees <paramref name="id"/>.
    public void Release(int id)
    {
        Volatile.Write(ref _entries[id], null);
        if (_freeCount == _freeIds.Length) Array.Resize(ref _freeIds, _freeIds.Length * 2);
        _freeIds[_freeCount++] = id;
    }

    /// Frees every id.
    public void Clear()
    {
        _entries.AsSpan(0, HighWater).Clear();
        HighWater = 0;
        _freeCount = 0;
    }
}
