namespace NetFabric.Datapath.Flows.Internal;

/// <summary>
/// The flows carrying one invalidation tag, as the classifier's flow ids (<see cref="FlowEntry.Id"/>), for
/// <see cref="MegaflowClassifier.InvalidateByTag"/> and <see cref="MegaflowClassifier.CountByTag"/>. Written only under
/// the classifier's write lock.
/// </summary>
/// <remarks>
/// <para>Ids, not references: a device's tag is carried by every flow through it, so with a million flows cached the
/// index holds millions of records. As references they were traced by every full collection, and every record written
/// for a new flow dirtied a card that the next young-generation collection had to scan; ids are plain integers the
/// garbage collector never looks at, and half the size of a reference.</para>
/// <para>Chunks, not one growing array: ids go into arrays of at most <see cref="ChunkSize"/> (16 KiB, below the
/// large-object threshold), so a list never copies itself when it grows and never allocates on the large-object heap,
/// whose allocations count towards triggering a full collection. The first chunk starts small and doubles up to the
/// chunk size: most tags (a MAC or ARP entry's) are carried by a handful of flows.</para>
/// <para>Records may be stale: removal is lazy (the classifier counts departures in <see cref="Departed"/> and
/// compacts once half the list has left), and an id freed by a removed flow may be reused by a flow that does not
/// carry the tag, or that does and appended a second record for the same id. Readers therefore check that the flow
/// now at the id carries the tag, and count each flow once.</para>
/// </remarks>
internal sealed class TagCarriers
{
    private const int ChunkShift = 12;
    /// Ids per full chunk.
    public const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    private int[]?[] _chunks = [new int[2]];

    /// Records held, stale ones included.
    public int Count { get; private set; }

    /// Flows carrying the tag that left since the last compaction (their records may still be here).
    public int Departed;

    /// The record at <paramref name="index"/> (below <see cref="Count"/>).
    public int this[int index]
    {
        get => _chunks[index >> ChunkShift]![index & ChunkMask];
        set => _chunks[index >> ChunkShift]![index & ChunkMask] = value;
    }

    /// The last record appended, or -1 when there is none.
    public int Last => Count == 0 ? -1 : this[Count - 1];

    /// Appends a record. Amortised O(1); never copies more than one chunk.
    public void Add(int id)
    {
        int chunk = Count >> ChunkShift;
        int offset = Count & ChunkMask;
        if (chunk == 0)
        {
            ref int[]? first = ref _chunks[0];
            if (offset == first!.Length) Array.Resize(ref first, Math.Min(ChunkSize, offset * 2));
        }
        else
        {
            if (chunk == _chunks.Length) Array.Resize(ref _chunks, chunk * 2);
            _chunks[chunk] ??= new int[ChunkSize];
        }
        _chunks[chunk]![offset] = id;
        Count++;
    }

    /// Keeps the first <paramref name="count"/> records and releases the chunks past them.
    public void Truncate(int count)
    {
        Count = count;
        int used = count == 0 ? 1 : ((count - 1) >> ChunkShift) + 1;
        for (int i = used; i < _chunks.Length && _chunks[i] is not null; i++) _chunks[i] = null;
        if (count == 0 && _chunks[0]!.Length > 2) _chunks[0] = new int[2];
    }
}
