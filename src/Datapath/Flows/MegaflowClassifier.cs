using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows.Internal;

namespace NetFabric.Datapath.Flows;

/// <summary>
/// The megaflow cache: wildcard flows found by tuple-space search, as in Open vSwitch's userspace classifier
/// (dpcls). Flows are grouped into subtables, one per distinct (<see cref="FlowMask"/>, priority) pair; each
/// subtable is a hash table of the flows' masked keys, so a lookup costs one hash and one probe per subtable
/// searched, whatever the number of flows.
/// </summary>
/// <remarks>
/// <para><b>Precedence.</b> Among the live flows covering a key, the one with the highest
/// <see cref="FlowEntry.Priority"/> wins; among equal priorities the most recently installed one (highest
/// <see cref="FlowEntry.Sequence"/>) wins. Installing a match identical to a live flow's (same mask, same masked
/// key, same priority) replaces that flow: the old entry dies.</para>
/// <para><b>Search order.</b> Subtables are searched by priority (highest first), then by recent hit count
/// (busiest first; readers re-rank them every few thousand batches). The search stops when no remaining
/// subtable can hold a better flow: a subtable of lower priority than the best found cannot, and one of equal
/// priority cannot when no live flow of the best one's subtable overlaps a live flow of equal priority in another
/// subtable. The classifier records such overlaps at install time, against every other subtable of the same
/// priority: none when a matched bit both masks share has, in all of that subtable's flows, the value the new flow
/// does not have (a per-subtable AND/OR summary); exactly, by one probe, when that subtable's mask is contained in the
/// new flow's; exactly, by a scan, when that subtable is small; conservatively (an overlap) otherwise. So in the
/// usual case of non-overlapping megaflows a lookup stops at its first hit.</para>
/// <para><b>Threads.</b> Lookups (<see cref="Lookup"/>, <see cref="LookupBatch"/>) may run on any number of threads
/// at once and never lock or allocate. Writers (insert, remove, invalidate, expire) may be called from any thread;
/// they are serialised internally by one lock. Writers publish read-copy-update style: a flow is fully built
/// before its reference is written into a slot; deletion leaves a tombstone; tables are rebuilt into new arrays
/// published by one reference write; the subtable list is an immutable array replaced on change. A lookup
/// concurrent with a write sees the classifier before or after that write, and may return a flow that died
/// during the lookup (check <see cref="FlowEntry.IsAlive"/>, as <see cref="ExactMatchCache"/> does).</para>
/// <para><b>Capacity.</b> At most <see cref="Capacity"/> flows are live. Installing into a full classifier evicts one
/// flow first, by approximate LRU: the least recently used of 16 random flows; if that one was used in the last
/// second, a sweep looks for a flow idle for a second and evicts it, or the least recently used flow when none is
/// (the sweep then records when the first flow can become idle, and is skipped until then).</para>
/// </remarks>
public sealed class MegaflowClassifier
{
    // A flow hit within this many Stopwatch ticks (one second) is evicted only when nothing older exists.
    private static readonly long RecentTicks = Stopwatch.Frequency;
    private const int EvictionSamples = 16;
    // Readers re-rank subtables by hits every this many batches (a power of two).
    private const int DefaultRankPeriod = 4096;
    // Subtables with at most this many slots are scanned to decide exactly whether a new flow overlaps one of theirs.
    private const int DefaultOverlapScanLimit = 128;
    // Lookups are processed in chunks of this many keys: one bit per key in a 64-bit pending mask.
    private const int Chunk = 64;
    // Slots given direct references to old flows per expiry run, and per install when the queue of young flows has
    // outgrown the live flows (flows taken out before adoption; no expiry runs). Adoption is left to expiry, which a
    // pipeline runs every MaintenanceInterval: an adoption is a probe of a table that may be far larger than the
    // caches, and doing two per install cost flow setups more than the lookups it sped up.
    private const int InstallAdoptions = 2;
    private const int MaintenanceAdoptions = 1 << 18;

    private readonly Lock _writeLock = new();
    private readonly int _overlapScanLimit;
    private readonly int _rankPeriodMask;
    private Subtable[] _subtables = [];
    private readonly Dictionary<SubtableId, Subtable> _byMask = [];
    private readonly Dictionary<ulong, TagCarriers> _byTag = [];
    private readonly List<Subtable> _partners = [];
    // The installed flows by id: the only references to them the classifier holds (subtable slots and the tag index
    // hold ids; see FlowTable for why). Freed ids are reused first, so every id below the high-water mark is in use
    // whenever the classifier is full, and eviction samples ids without meeting holes.
    private readonly FlowTable _flows = new();
    // Installed flows whose slots do not reference them yet, oldest first (see Slot): adopted once the garbage
    // collector has promoted them to its oldest generation, or once installs pause.
    private readonly Queue<FlowEntry> _young = new();
    private long _installsAtLastExpiry = -1;
    // Where the next ExpireSlice starts.
    private int _sweepCursor;
    private int _count;
    // Numbers the passes over a tag's records (see FlowEntry.Visit).
    private int _visit;
    private long _sequence;
    private bool _subtablesChanged;
    private Subtable? _lastSubtable;

    private ulong _random = 0x9E37_79B9_7F4A_7C15UL;
    private int _clockHand;
    // A full sweep proved that no flow can have been idle for a second before this timestamp.
    private long _noIdleFlowBefore = long.MaxValue;

    private long _inserted, _replaced, _removed, _evicted, _expired, _invalidated;
    // First: lookups, Second: hits, Third: batches (all racy: plain adds from every reader).
    private PaddedCounters _hot;

    /// <summary>Creates a classifier holding at most <paramref name="capacity"/> flows.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    public MegaflowClassifier(int capacity = 65536) : this(capacity, DefaultOverlapScanLimit, DefaultRankPeriod)
    {
    }

    // Tests tune the two heuristics: 0 forces conservative overlap tracking, 1 re-ranks after every batch.
    internal MegaflowClassifier(int capacity, int overlapScanLimit, int rankPeriod)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Debug.Assert(BitOperations.IsPow2(rankPeriod));
        Capacity = capacity;
        _overlapScanLimit = overlapScanLimit;
        _rankPeriodMask = rankPeriod - 1;
    }

    /// <summary>Most flows held at once.</summary>
    public int Capacity { get; }

    /// <summary>Live flows. Lock-free read.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Subtables (distinct mask and priority pairs among the live flows) a lookup may search. Lock-free read.</summary>
    public int SubtableCount => Volatile.Read(ref _subtables).Length;

    /// <summary>A snapshot of the counters. Takes the write lock briefly.</summary>
    public ClassifierStatistics Statistics
    {
        get
        {
            lock (_writeLock)
                return new(_inserted, _replaced, _removed, _evicted, _expired, _invalidated,
                    Volatile.Read(ref _hot.First), Volatile.Read(ref _hot.Second));
        }
    }

    /// <summary>A snapshot of the live flows, for diagnostics. Takes the write lock and copies: O(<see cref="Count"/>).</summary>
    public IEnumerable<FlowEntry> Entries
    {
        get
        {
            lock (_writeLock)
            {
                var entries = new FlowEntry[_count];
                int n = 0;
                for (int id = 0; id < _flows.HighWater; id++)
                    if (_flows[id] is { } entry) entries[n++] = entry;
                return entries;
            }
        }
    }

    /// <summary>
    /// Installs a flow and returns its entry. A live flow with the same match and priority is replaced; when the
    /// classifier is full, one flow is evicted first (see the class remarks). Takes the write lock; allocates the
    /// entry (and index space for its tags); amortised O(tags + subtables of the same priority).
    /// </summary>
    /// <param name="match">The packets the flow covers.</param>
    /// <param name="actions">What to do with them.</param>
    /// <param name="tags">Invalidation tags (see <see cref="InvalidateByTag"/>); copied.</param>
    /// <param name="timeouts">When the flow expires; <see cref="FlowTimeouts.Default"/> when null.</param>
    /// <param name="priority">Higher wins when several flows cover a key.</param>
    /// <param name="now">The install time as a <see cref="Stopwatch"/> timestamp; 0 reads the clock.</param>
    /// <exception cref="ArgumentNullException"><paramref name="actions"/> is null.</exception>
    public FlowEntry Insert(in FlowMatch match, ActionProgram actions, ReadOnlySpan<ulong> tags = default, FlowTimeouts? timeouts = null, int priority = 0, long now = 0)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (now == 0) now = Stopwatch.GetTimestamp();
        var id = new SubtableId(match.Mask, priority);
        var key = match.Key;
        ulong hash = match.Mask.Hash(key);
        var flowTimeouts = timeouts ?? FlowTimeouts.Default;
        lock (_writeLock)
        {
            var subtable = FindSubtable(id);
            FlowEntry entry;
            if (subtable is not null && subtable.FindIdentical(key, hash) is { } installed)
            {
                entry = new FlowEntry(subtable.Shape, key, hash, actions, tags, flowTimeouts, now, ++_sequence);
                FindOverlaps(entry, subtable);
                // The new flow takes the old one's id, and so its slot: readers see one or the other.
                _flows.Replace(installed.Id, entry);
                subtable.Replace(installed, entry);
                Detach(installed, releaseId: false);
                Track(entry, subtable);
                _young.Enqueue(entry);
                _replaced++;
                if (_young.Count > _count) AdoptOld(InstallAdoptions);
                return entry;
            }
            if (_count >= Capacity)
            {
                TakeOut(ChooseVictim(now));
                _evicted++;
                subtable = FindSubtable(id);
            }
            if (subtable is null)
            {
                subtable = new Subtable(match.Mask, priority, this, _flows);
                _byMask.Add(id, subtable);
                _subtablesChanged = true;
            }
            _lastSubtable = subtable;
            entry = new FlowEntry(subtable.Shape, key, hash, actions, tags, flowTimeouts, now, ++_sequence);
            FindOverlaps(entry, subtable);
            _flows.Add(entry, Capacity);
            subtable.Add(entry);
            Volatile.Write(ref _count, _count + 1);
            Track(entry, subtable);
            _young.Enqueue(entry);
            _inserted++;
            PublishIfChanged();
            if (_young.Count > _count) AdoptOld(InstallAdoptions);
            return entry;
        }
    }

    /// <summary>The best live flow covering <paramref name="key"/> (see the precedence rule), or null. Lock-free, allocation-free.</summary>
    public FlowEntry? Lookup(in FlowKey key)
    {
        var subtables = Volatile.Read(ref _subtables);
        FlowEntry? best = null;
        Subtable? bestTable = null;
        foreach (var subtable in subtables)
        {
            if (best is not null)
            {
                if (subtable.Priority < best.Priority || bestTable!.Overlaps == 0) break;
                if (subtable.Overlaps == 0) continue;
            }
            var entry = subtable.Find(key);
            if (entry is not null && (best is null || entry.Sequence > best.Sequence))
            {
                best = entry;
                bestTable = subtable;
            }
        }
        bestTable?.AddHits(1);
        RecordLookups(1, best is null ? 0 : 1);
        return best;
    }

    /// <summary>
    /// Looks up a burst: <c>results[i]</c> receives what <see cref="Lookup"/> would return for <c>keys[i]</c>.
    /// Searches subtable by subtable, hashing every unresolved key and prefetching its slot before probing, so the
    /// memory accesses of a burst overlap. Lock-free, allocation-free.
    /// </summary>
    /// <returns>The number of keys that found a flow.</returns>
    /// <exception cref="ArgumentException"><paramref name="results"/> is shorter than <paramref name="keys"/>.</exception>
    public int LookupBatch(ReadOnlySpan<FlowKey> keys, Span<FlowEntry?> results)
    {
        if (results.Length < keys.Length) ThrowResultsTooShort(keys.Length, results.Length);
        results[..keys.Length].Clear();
        var subtables = Volatile.Read(ref _subtables);
        int hits = 0;
        for (int start = 0; start < keys.Length; start += Chunk)
        {
            int length = Math.Min(Chunk, keys.Length - start);
            hits += LookupChunk(subtables, keys.Slice(start, length), results.Slice(start, length));
        }
        RecordLookups(keys.Length, hits);
        return hits;
    }

    /// <summary>Takes one flow out (it dies). Takes the write lock; O(tags).</summary>
    /// <returns>False when the flow was not live in this classifier.</returns>
    public bool Remove(FlowEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_writeLock)
        {
            if (entry.Owner is not { } owner || owner.Classifier != this) return false;
            TakeOut(entry);
            _removed++;
            PublishIfChanged();
            return true;
        }
    }

    /// <summary>
    /// Takes out every flow carrying <paramref name="tag"/>. Takes the write lock; O(flows carrying the tag × their
    /// tags), found through a tag index, not a scan.
    /// </summary>
    /// <returns>The number of flows taken out.</returns>
    public int InvalidateByTag(ulong tag)
    {
        lock (_writeLock)
        {
            if (!_byTag.Remove(tag, out var carriers)) return 0;
            int count = 0;
            for (int i = 0; i < carriers.Count; i++)
            {
                // A stale record names a freed id (skipped), or an id reused by another flow (taken out only if it
                // carries the tag too). No flow is installed meanwhile, so a flow taken out leaves its id empty and a
                // second record for it is skipped.
                if (_flows[carriers[i]] is not { } entry || !entry.CarriesTag(tag)) continue;
                TakeOut(entry);
                count++;
            }
            _invalidated += count;
            PublishIfChanged();
            return count;
        }
    }

    /// <summary>
    /// The number of live flows carrying <paramref name="tag"/> (for ageing sweeps that ask whether anything still
    /// relies on a state entry). Takes the write lock; O(flows that carried the tag since its list was last
    /// compacted), found through the tag index, not a scan. Allocation-free.
    /// </summary>
    public int CountByTag(ulong tag)
    {
        lock (_writeLock)
        {
            if (!_byTag.TryGetValue(tag, out var carriers)) return 0;
            int visit = ++_visit;
            int count = 0;
            for (int i = 0; i < carriers.Count; i++)
            {
                if (_flows[carriers[i]] is not { } entry || entry.Visit == visit || !entry.CarriesTag(tag)) continue;
                entry.Visit = visit;
                count++;
            }
            return count;
        }
    }

    /// <summary>Takes out every flow. Takes the write lock; O(<see cref="Count"/>).</summary>
    /// <returns>The number of flows taken out.</returns>
    public int InvalidateAll()
    {
        lock (_writeLock)
        {
            int count = _count;
            Volatile.Write(ref _subtables, []);
            for (int id = 0; id < _flows.HighWater; id++)
            {
                if (_flows[id] is not { } entry) continue;
                entry.Owner = null;
                entry.OverlapPartners = null;
                entry.Kill();
            }
            _flows.Clear();
            _young.Clear();
            Volatile.Write(ref _count, 0);
            _byMask.Clear();
            _byTag.Clear();
            _lastSubtable = null;
            _noIdleFlowBefore = long.MaxValue;
            _subtablesChanged = false;
            _invalidated += count;
            return count;
        }
    }

    /// <summary>
    /// Takes out the flows whose idle or hard timeout has passed at <paramref name="now"/> (a <see cref="Stopwatch"/>
    /// timestamp). Takes the write lock and scans every flow: O(<see cref="Count"/>), about 12 ms for a million
    /// flows, during which no install proceeds; a periodic caller should prefer <see cref="ExpireSlice"/>.
    /// </summary>
    /// <returns>The number of flows taken out.</returns>
    public int Expire(long now)
    {
        lock (_writeLock)
        {
            _sweepCursor = 0;
            return ExpireRange(now, 0, _flows.HighWater);
        }
    }

    /// <summary>
    /// Takes out the expired flows among the next 1/<paramref name="slices"/> of the table, carrying on where the
    /// previous call stopped and starting over after the end: a caller that runs every interval visits every flow
    /// once per <paramref name="slices"/> intervals, and holds the write lock for one slice at a time instead of a
    /// whole scan. A flow therefore leaves up to <paramref name="slices"/> intervals after its timeout passed.
    /// </summary>
    /// <param name="now">A <see cref="Stopwatch"/> timestamp.</param>
    /// <param name="slices">How many calls make one sweep of the table (1: the whole table, as <see cref="Expire"/>).</param>
    /// <returns>The number of flows taken out.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="slices"/> is less than 1.</exception>
    public int ExpireSlice(long now, int slices)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slices, 1);
        lock (_writeLock)
        {
            int highWater = _flows.HighWater;
            int start = _sweepCursor < highWater ? _sweepCursor : 0;
            int end = (int)Math.Min(highWater, start + ((long)highWater + slices - 1) / slices);
            _sweepCursor = end;
            return ExpireRange(now, start, end);
        }
    }

    // Under the write lock: takes out the expired flows with ids in [start, end).
    private int ExpireRange(long now, int start, int end)
    {
        int expired = 0;
        for (int id = start; id < end; id++)
        {
            if (_flows[id] is not { } entry || !entry.IsExpired(now)) continue;
            TakeOut(entry);
            expired++;
        }
        _expired += expired;
        PublishIfChanged();
        // Expiry runs periodically: once installs have paused since the last run, the flows still young will not be
        // followed by a stream of others, and referencing them costs one collection's card scan at most.
        long installs = _inserted + _replaced;
        AdoptOld(MaintenanceAdoptions, everything: installs == _installsAtLastExpiry);
        _installsAtLastExpiry = installs;
        return expired;
    }

    [SkipLocalsInit]
    private static int LookupChunk(Subtable[] subtables, ReadOnlySpan<FlowKey> keys, Span<FlowEntry?> results)
    {
        Span<ulong> hashes = stackalloc ulong[Chunk];
        Span<int> positions = stackalloc int[Chunk];
        ref FlowKey firstKey = ref Unsafe.AsRef(in MemoryMarshal.GetReference(keys));
        ref FlowEntry? firstResult = ref MemoryMarshal.GetReference(results);
        // Keys that may still find a better flow, and keys that found one.
        ulong pending = keys.Length == Chunk ? ulong.MaxValue : (1UL << keys.Length) - 1;
        ulong resolved = 0;
        foreach (var subtable in subtables)
        {
            if (pending == 0) break;
            ulong candidates = pending;
            ulong found = pending & resolved;
            if (found != 0)
            {
                int priority = subtable.Priority;
                bool overlaps = subtable.Overlaps != 0;
                do
                {
                    int i = BitOperations.TrailingZeroCount(found);
                    found &= found - 1;
                    if (Unsafe.Add(ref firstResult, i)!.Priority > priority) pending &= ~(1UL << i);
                    else if (overlaps) continue;
                    candidates &= ~(1UL << i);
                } while (found != 0);
                if (candidates == 0) continue;
            }
            Search(subtable, candidates, ref firstKey, ref firstResult, ref MemoryMarshal.GetReference(hashes), ref MemoryMarshal.GetReference(positions), ref pending, ref resolved);
        }
        return BitOperations.PopCount(resolved);
    }

    // One subtable for the candidate keys of a burst, in three passes so each key's two dependent cache misses (its
    // slot, then its entry) overlap with the other keys' instead of stalling one after the other: hash and prefetch
    // the home slot; find the first slot with the key's tag and prefetch its entry's key; verify. (An entry still
    // young to the garbage collector is reached through the flow table, one more dependent load: see Slot.) Kept out
    // of line: inlined into the subtable loop it runs out of registers and spills.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Search(Subtable subtable, ulong candidates, ref FlowKey firstKey, ref FlowEntry? firstResult,
        ref ulong hashes, ref int positions, ref ulong pending, ref ulong resolved)
    {
        var slots = subtable.Slots;
        ulong next = candidates;
        do
        {
            int i = BitOperations.TrailingZeroCount(next);
            next &= next - 1;
            ulong hash = subtable.Mask.Hash(Unsafe.Add(ref firstKey, i));
            Unsafe.Add(ref hashes, i) = hash;
            Subtable.Prefetch(slots, hash);
        } while (next != 0);

        next = candidates;
        do
        {
            int i = BitOperations.TrailingZeroCount(next);
            next &= next - 1;
            int at = Subtable.FirstTagged(slots, Unsafe.Add(ref hashes, i));
            if (at < 0)
            {
                candidates &= ~(1UL << i);
                continue;
            }
            Unsafe.Add(ref positions, i) = at;
            if (subtable.EntryAt(slots, at) is { } candidate) Subtable.PrefetchKey(candidate);
        } while (next != 0);

        long hits = 0;
        next = candidates;
        while (next != 0)
        {
            int i = BitOperations.TrailingZeroCount(next);
            next &= next - 1;
            var entry = subtable.Verify(slots, Unsafe.Add(ref firstKey, i), Unsafe.Add(ref hashes, i), Unsafe.Add(ref positions, i));
            if (entry is null) continue;
            ref var result = ref Unsafe.Add(ref firstResult, i);
            // A candidate with a result here has the same priority (lower ones left, higher ones are not candidates).
            if (result is not null && entry.Sequence <= result.Sequence) continue;
            result = entry;
            resolved |= 1UL << i;
            hits++;
            if (subtable.Overlaps == 0) pending &= ~(1UL << i);
        }
        if (hits != 0) subtable.AddHits(hits);
    }

    // Racy statistics and the periodic re-ranking; one shared-line write per batch, not per packet.
    private void RecordLookups(int lookups, int hits)
    {
        _hot.First += lookups;
        _hot.Second += hits;
        if ((++_hot.Third & _rankPeriodMask) == 0 && _writeLock.TryEnter())
        {
            try { Rank(); }
            finally { _writeLock.Exit(); }
        }
    }

    // Re-sorts the subtables when one became clearly busier than one searched before it (with hysteresis, so a
    // steady workload settles and stops allocating new lists), then halves the hit counts so ranks follow the
    // recent traffic.
    private void Rank()
    {
        var subtables = _subtables;
        for (int i = 1; i < subtables.Length; i++)
        {
            if (subtables[i].Priority == subtables[i - 1].Priority && subtables[i].Hits > subtables[i - 1].Hits * 2 + 64)
            {
                Publish();
                break;
            }
        }
        foreach (var subtable in subtables) subtable.DecayHits();
    }

    private void PublishIfChanged()
    {
        if (!_subtablesChanged) return;
        _subtablesChanged = false;
        Publish();
    }

    // Publishes a new subtable list sorted by priority (descending), then hits (descending). The hit counts are
    // read once: readers keep changing them.
    private void Publish()
    {
        int n = _byMask.Count;
        var subtables = new Subtable[n];
        var hits = new long[n];
        _byMask.Values.CopyTo(subtables, 0);
        for (int i = 0; i < n; i++) hits[i] = subtables[i].Hits;
        for (int i = 1; i < n; i++)
        {
            var subtable = subtables[i];
            long subtableHits = hits[i];
            int j = i - 1;
            while (j >= 0 && (subtables[j].Priority < subtable.Priority || (subtables[j].Priority == subtable.Priority && hits[j] < subtableHits)))
            {
                subtables[j + 1] = subtables[j];
                hits[j + 1] = hits[j];
                j--;
            }
            subtables[j + 1] = subtable;
            hits[j + 1] = subtableHits;
        }
        Volatile.Write(ref _subtables, subtables);
    }

    // Records, before the entry becomes visible, which other subtables of its priority may hold a flow covering a
    // key it covers. Readers stop early only where no such overlap is recorded.
    private void FindOverlaps(FlowEntry entry, Subtable own)
    {
        _partners.Clear();
        foreach (var other in _byMask.Values)
            if (other != own && other.Priority == entry.Priority && other.Count > 0 && other.MayOverlap(entry.Key, own.Mask, _overlapScanLimit))
                _partners.Add(other);
        if (_partners.Count == 0) return;
        entry.OverlapPartners = [.. _partners];
        own.AddOverlaps(1);
        foreach (var partner in _partners) partner.AddOverlaps(1);
    }

    // Gives slots direct references to installed flows that are now in the collector's oldest generation, oldest
    // first, at most `limit` of them (each is a probe); with `everything`, to young ones too. A flow taken out or
    // replaced meanwhile is dropped from the queue.
    private void AdoptOld(int limit, bool everything = false)
    {
        while (limit > 0 && _young.TryPeek(out var entry))
        {
            if (entry.Owner is { } owner)
            {
                if (!everything && GC.GetGeneration(entry) < GC.MaxGeneration) return;
                owner.Adopt(entry);
                limit--;
            }
            _young.Dequeue();
        }
    }

    // Installs come in runs with one mask (a resolver's traffic pattern, a bulk load): check the last subtable before
    // hashing the 112-byte mask for the dictionary.
    private Subtable? FindSubtable(SubtableId id)
    {
        if (_lastSubtable is { } last && last.Priority == id.Priority && last.Mask == id.Mask && last.Count > 0) return last;
        return _byMask.GetValueOrDefault(id);
    }

    private void Track(FlowEntry entry, Subtable subtable)
    {
        entry.Owner = subtable;
        foreach (ulong tag in entry.Tags)
        {
            ref var carriers = ref CollectionsMarshal.GetValueRefOrAddDefault(_byTag, tag, out _);
            carriers ??= new TagCarriers();
            // The last record already names this id for a tag listed twice, or for a stale record of an earlier flow
            // that had this id and the same tag: it serves this flow too.
            if (carriers.Last != entry.Id) carriers.Add(entry.Id);
        }
        _noIdleFlowBefore = Math.Min(_noIdleFlowBefore, entry.LastUsed + RecentTicks);
    }

    // Takes a live entry out of its subtable, then out of the indexes; drops the subtable when it empties.
    private void TakeOut(FlowEntry entry)
    {
        var owner = entry.Owner!;
        owner.Remove(entry);
        Detach(entry, releaseId: true);
        if (owner.Count == 0)
        {
            _byMask.Remove(new SubtableId(owner.Mask, owner.Priority));
            _subtablesChanged = true;
        }
    }

    // Every removal path ends here: the entry leaves the flow table (its id is freed, unless a replacement took it),
    // the tag index and the overlap counts, then dies (so exact-match caches holding it drop it).
    private void Detach(FlowEntry entry, bool releaseId)
    {
        if (releaseId)
        {
            _flows.Release(entry.Id);
            Volatile.Write(ref _count, _count - 1);
        }
        foreach (ulong tag in entry.Tags)
        {
            if (!_byTag.TryGetValue(tag, out var carriers)) continue;
            // Removal is lazy: count the departure and compact the list once half of it has left, so a tag shared
            // by every flow (a device's) costs amortised O(1) per removal instead of a search.
            if (++carriers.Departed * 2 < carriers.Count) continue;
            Compact(carriers, tag);
            if (carriers.Count == 0) _byTag.Remove(tag);
        }
        if (entry.OverlapPartners is { } partners)
        {
            entry.Owner!.AddOverlaps(-1);
            foreach (var partner in partners) partner.AddOverlaps(-1);
            entry.OverlapPartners = null;
        }
        entry.Owner = null;
        entry.Kill();
    }

    // Keeps one record per installed flow carrying the tag, in order. The departing flow has already left the flow
    // table (or its replacement holds its id, and keeps the record if it carries the tag), so its records go.
    private void Compact(TagCarriers carriers, ulong tag)
    {
        int visit = ++_visit;
        int kept = 0;
        for (int i = 0; i < carriers.Count; i++)
        {
            int id = carriers[i];
            if (_flows[id] is not { } entry || entry.Visit == visit || !entry.CarriesTag(tag)) continue;
            entry.Visit = visit;
            carriers[kept++] = id;
        }
        carriers.Truncate(kept);
        carriers.Departed = 0;
    }

    // Approximate LRU: the least recently used of a few random flows, unless it was used within the last second and
    // a sweep finds a flow idle for longer (the sweep is skipped while an earlier one proved none can exist).
    private FlowEntry ChooseVictim(long now)
    {
        // The classifier is full, so every id below the high-water mark is in use; a hole (none expected) only costs
        // a sample.
        FlowEntry? victim = null;
        int highWater = _flows.HighWater;
        for (int n = 0; n < EvictionSamples; n++)
        {
            var sample = _flows[(int)(NextRandom() % (ulong)highWater)];
            if (sample is not null && (victim is null || sample.LastUsed < victim.LastUsed)) victim = sample;
        }
        if (victim is not null && (now - victim.LastUsed >= RecentTicks || now < _noIdleFlowBefore)) return victim;

        long oldest = long.MaxValue;
        for (int n = 0; n < highWater; n++)
        {
            int i = (_clockHand + n) % highWater;
            if (_flows[i] is not { } entry) continue;
            long lastUsed = entry.LastUsed;
            if (now - lastUsed >= RecentTicks)
            {
                _clockHand = i + 1;
                return entry;
            }
            if (lastUsed < oldest)
            {
                oldest = lastUsed;
                victim = entry;
            }
        }
        _noIdleFlowBefore = oldest + RecentTicks;
        return victim!;
    }

    private ulong NextRandom()
    {
        // xorshift64*: deterministic, so eviction is reproducible in tests.
        _random ^= _random >> 12;
        _random ^= _random << 25;
        _random ^= _random >> 27;
        return _random * 0x2545_F491_4F6C_DD1DUL;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowResultsTooShort(int keys, int results) =>
        throw new ArgumentException($"results holds {results} entries, fewer than the {keys} keys.", nameof(results));

    private readonly record struct SubtableId(FlowMask Mask, int Priority);
}
