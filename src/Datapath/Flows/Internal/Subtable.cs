using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetFabric.Datapath.Flows.Internal;

/// One slot of a subtable's open-addressing table: a tag derived from the entry's hash (high 32 bits) with the entry's
/// id in the classifier's <see cref="FlowTable"/> (low 32 bits), and, once the garbage collector has promoted the
/// entry to its oldest generation, a direct reference to it. A new entry is found through its id only: writing a
/// young reference into a large, old slot array would mark a card that every young-generation collection rescans
/// until the entry is promoted (see <see cref="FlowTable"/>); an old one costs nothing to reference, and saves the
/// lookup a dependent load. A slot is never torn for a reader: each field is written with one aligned store, and
/// readers verify the entry they find against the key and the subtable, so fields from two different moments only
/// cost a re-check.
/// Explicit layout: the probe compares the tags of several slots with one vector, so tags must sit at even
/// 8-byte lanes.
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct Slot
{
    [FieldOffset(0)] public ulong Tag;
    [FieldOffset(8)] public FlowEntry? Entry;
}

/// Hot counters on a cache line of their own, so readers on several cores bumping them do not
/// invalidate the line that holds the read-mostly fields next to them.
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct PaddedCounters
{
    [FieldOffset(64)] public long First;
    [FieldOffset(72)] public long Second;
    [FieldOffset(80)] public long Third;
}

/// <summary>
/// The flows of one (mask, priority) pair: an open-addressing, linear-probing hash table keyed by
/// <see cref="FlowEntry.Hash"/>, as in Open vSwitch's dpcls subtable. Readers never lock: they read the slot
/// array reference once and probe it; writers (serialised by the classifier's lock) publish an entry with one
/// volatile write of its tag and id (after the entry itself went into the <see cref="FlowTable"/>), delete by
/// writing a tombstone tag, and rebuild into a new array published with one volatile write when live entries plus
/// tombstones pass half the slots.
/// </summary>
/// <remarks>
/// Tag words: 0 is an empty slot (ends a probe), 1 a tombstone (probes go on), anything else is the low 32 bits of
/// an entry's hash with the top bit set, then the entry's id. A slot never goes back to empty in a published array, so an entry that stays installed
/// during a probe is always found: every slot before it on its probe sequence was non-empty when it was
/// placed and stays non-empty.
/// Probes run forward from the home slot (hash modulo a power of two, the table's "home range") without wrapping;
/// the array has <see cref="Guard"/> slots past the home range, and the last <see cref="Window"/> of them are kept
/// empty, so every probe meets an empty slot in bounds and may read <see cref="Window"/> slots at a time: the tags
/// of a whole window are compared with one vector compare, and the probe takes no data-dependent branch in the
/// common case (found, or empty, within the first window). An insert that would land in the kept-empty slots
/// rebuilds the table larger instead.
/// </remarks>
internal sealed class Subtable
{
    public const ulong EmptyTag = 0;
    public const ulong TombstoneTag = 1;
    private const ulong TagBit = 1UL << 63;
    // The tag half of a slot's Tag word; the other half is the entry's id.
    private const ulong TagMask = 0xFFFF_FFFF_0000_0000UL;
    private const int MinimumSlots = 16;
    // Slots past the home range; the last Window of them stay empty.
    private const int Guard = 8;
    private const int Window = 4;

    public readonly FlowMask Mask;
    public readonly int Priority;
    /// The mask and priority, shared with this subtable's entries.
    public readonly FlowShape Shape;
    // The mask's bits as a key (a copy of the shape's, one indirection closer to the lookup loop).
    private readonly FlowKey _maskBits;
    // The classifier this subtable belongs to (so Remove can reject another classifier's entries).
    public readonly object Classifier;
    // The classifier's entries by id: what slot ids refer to.
    private readonly FlowTable _flows;

    private Slot[] _slots = new Slot[MinimumSlots + Guard];
    private int _used;                      // live entries + tombstones; writer only
    private volatile int _overlaps;
    private PaddedCounters _hits;           // First: hits since the last ranking (racy)
    // Per word, the AND and the OR of the keys added since the summary was last recomputed (by a rebuild after
    // removals): taken over a superset of the live keys, so a bit set in _and is set in every live key and a bit
    // clear in _or is clear in every live key. MayOverlap uses them to prove disjointness cheaply.
    private readonly ulong[] _and = new ulong[FlowKey.Words];
    private readonly ulong[] _or = new ulong[FlowKey.Words];

    public Subtable(in FlowMask mask, int priority, object classifier, FlowTable flows)
    {
        _flows = flows;
        Mask = mask;
        _maskBits = mask.Bits;
        Priority = priority;
        Shape = new FlowShape(mask, priority);
        Classifier = classifier;
        _and.AsSpan().Fill(ulong.MaxValue);
    }

    /// Live entries (written under the classifier lock; racy for anyone else).
    public int Count { get; private set; }

    /// The current slot array, for a reader that probes many keys against one consistent table.
    public Slot[] Slots => Volatile.Read(ref _slots);


    /// Live entries of this subtable or of another subtable of the same priority that were installed while an
    /// entry of the other one might cover some of the same keys (see MegaflowClassifier's remarks). Zero means no
    /// live entry here shares a key with a live entry of equal priority elsewhere.
    public int Overlaps => _overlaps;

    /// Hits since the last ranking (racy).
    public long Hits => Volatile.Read(ref _hits.First);

    public void AddHits(long hits) => _hits.First += hits;

    public void DecayHits() => _hits.First >>= 1;

    public void AddOverlaps(int delta) => _overlaps += delta;

    /// The tag half of the word a slot holds for an entry hashing to <paramref name="hash"/>: the hash's low 32 bits
    /// (so a rebuild finds the home slot from the tag alone) with the top bit set (so no tag is empty or a tombstone).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong TagOf(ulong hash) => (hash << 32) | TagBit;

    // The whole word for an entry: tag and id.
    private static ulong WordOf(FlowEntry entry) => TagOf(entry.Hash) | (uint)entry.Id;

    /// Starts fetching the slot a probe for <paramref name="hash"/> reads first.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(Slot[] slots, ulong hash)
    {
        if (!Sse.IsSupported) return;
        byte* home = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slots), (int)hash & (slots.Length - Guard - 1)));
        Sse.Prefetch0(home);
        // The first probe reads a whole window of slots, which straddles two cache lines unless the home slot
        // starts one.
        Sse.Prefetch0(home + Window * Unsafe.SizeOf<Slot>() - 1);
    }

    /// The entry of <paramref name="slots"/> covering <paramref name="key"/> (whose hash under the mask is
    /// <paramref name="hash"/>), or null, probing from the key's home slot. Lock-free; allocation-free.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FlowEntry? Probe(Slot[] slots, in FlowKey key, ulong hash) => ProbeFrom(slots, key, hash, (int)hash & (slots.Length - Guard - 1));

    /// Probes from slot <paramref name="start"/>, which is on the key's probe sequence.
    public FlowEntry? ProbeFrom(Slot[] slots, in FlowKey key, ulong hash, int start)
    {
        ref Slot first = ref MemoryMarshal.GetArrayDataReference(slots);
        ulong tag = TagOf(hash);
        // In bounds: an empty slot always comes before the end of the array.
        for (int i = start; ; i++)
        {
            ref Slot slot = ref Unsafe.Add(ref first, i);
            ulong found = Volatile.Read(ref slot.Tag);
            if ((found & TagMask) == tag)
            {
                if (Volatile.Read(ref slot.Entry) is { } entry)
                {
                    if (Covers(key, entry.Key)) return entry;
                }
                else if (Resolve(_flows.Entries, (int)(uint)found) is { } young && Accepts(young, key))
                {
                    return young;
                }
            }
            else if (found == EmptyTag)
            {
                return null;
            }
        }
    }

    /// The entry slot <paramref name="index"/> refers to: its direct reference, else the entry the flow table holds
    /// under the slot's id (the table read after the id, see <see cref="FlowTable"/>), or null.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FlowEntry? EntryAt(Slot[] slots, int index)
    {
        ref Slot slot = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slots), index);
        return Volatile.Read(ref slot.Entry) ?? Resolve(_flows.Entries, (int)(uint)Volatile.Read(ref slot.Tag));
    }

    /// The entry with id <paramref name="id"/> in <paramref name="entries"/>, or null when the array (read before the
    /// id was published) does not reach it yet.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FlowEntry? Resolve(FlowEntry?[] entries, int id) =>
        (uint)id < (uint)entries.Length ? Volatile.Read(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(entries), id)) : null;

    /// True when <paramref name="entry"/>, found through one of this subtable's slots, is this subtable's (its id may
    /// have been reused by a flow of another subtable since the slot was read) and covers <paramref name="key"/>.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Accepts(FlowEntry entry, in FlowKey key)
    {
        ref readonly var masked = ref entry.MaskedKey;
        return ReferenceEquals(masked.Shape, Shape) && Covers(key, masked.Key);
    }

    /// The first slot on the probe sequence of <paramref name="hash"/> whose tag is the hash's, or -1 when an empty
    /// slot comes first (a miss). The batch lookup's second step: it then prefetches that slot's entry.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FirstTagged(Slot[] slots, ulong hash)
    {
        ref Slot first = ref MemoryMarshal.GetArrayDataReference(slots);
        ulong tag = TagOf(hash);
        int i = (int)hash & (slots.Length - Guard - 1);
        // The vector paths run only on x86 (the only place 256/512-bit vectors are accelerated): there a vector load
        // reads each aligned 8-byte lane whole and loads are not reordered with later loads, so a window's tags are
        // as good as the scalar path's volatile reads.
        if (Vector512.IsHardwareAccelerated)
        {
            // Four slots per step: tags in the even lanes (0x55), entries in the odd ones.
            var tags = Vector512.Create(tag);
            var tagMask = Vector512.Create(TagMask);
            while (true)
            {
                var window = Vector512.LoadUnsafe(ref Unsafe.As<Slot, ulong>(ref Unsafe.Add(ref first, i)));
                uint matches = (uint)Vector512.Equals(window & tagMask, tags).ExtractMostSignificantBits() & 0x55;
                uint empties = (uint)Vector512.Equals(window, Vector512<ulong>.Zero).ExtractMostSignificantBits() & 0x55;
                uint stops = matches | empties;
                if (stops != 0)
                {
                    int lane = BitOperations.TrailingZeroCount(stops);
                    return ((matches >> lane) & 1) != 0 ? i + (lane >> 1) : -1;
                }
                i += Window;
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var tags = Vector256.Create(tag);
            var tagMask = Vector256.Create(TagMask);
            while (true)
            {
                var window = Vector256.LoadUnsafe(ref Unsafe.As<Slot, ulong>(ref Unsafe.Add(ref first, i)));
                uint matches = Vector256.Equals(window & tagMask, tags).ExtractMostSignificantBits() & 0x5;
                uint empties = Vector256.Equals(window, Vector256<ulong>.Zero).ExtractMostSignificantBits() & 0x5;
                uint stops = matches | empties;
                if (stops != 0)
                {
                    int lane = BitOperations.TrailingZeroCount(stops);
                    return ((matches >> lane) & 1) != 0 ? i + (lane >> 1) : -1;
                }
                i += 2;
            }
        }
        for (; ; i++)
        {
            ulong found = Volatile.Read(ref Unsafe.Add(ref first, i).Tag);
            if ((found & TagMask) == tag) return i;
            if (found == EmptyTag) return -1;
        }
    }

    /// Starts fetching <paramref name="entry"/>: every cache line from the object's start to the end of its masked
    /// key, i.e. what a verification reads next (the key) and what the search and the hit path read after it (the
    /// method table, sequence, actions and statistics, which the runtime lays out before the key). With tables
    /// larger than the caches each of these lines is a miss, and fetching them all at once for a whole burst is what
    /// keeps a lookup from waiting on them one after another.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void PrefetchKey(FlowEntry entry)
    {
        if (!Sse.IsSupported) return;
        // Only a hint: if the GC moves the entry meanwhile, the prefetch is wasted, never wrong.
        byte* line = *(byte**)Unsafe.AsPointer(ref entry);
        byte* end = (byte*)Unsafe.AsPointer(ref Unsafe.AsRef(in entry.MaskedKey)) + Unsafe.SizeOf<MaskedKey>();
        for (; line < end; line += 64) Sse.Prefetch0(line);
        Sse.Prefetch0(end - 1);
    }

    /// The batch lookup's last step: the entry slot <paramref name="index"/> refers to if this subtable accepts it for
    /// the key, else whatever a probe from the next slot finds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FlowEntry? Verify(Slot[] slots, in FlowKey key, ulong hash, int index)
    {
        ref Slot slot = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slots), index);
        // A direct reference is always one of this subtable's entries (only Adopt writes one); an entry found through
        // an id may be another subtable's (see Accepts).
        if (Volatile.Read(ref slot.Entry) is { } entry)
        {
            if (Covers(key, entry.Key)) return entry;
        }
        else if (Resolve(_flows.Entries, (int)(uint)Volatile.Read(ref slot.Tag)) is { } young && Accepts(young, key))
        {
            return young;
        }
        return ProbeFrom(slots, key, hash, index + 1);
    }

    /// True when <paramref name="key"/> under the mask equals <paramref name="maskedKey"/>.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Covers(in FlowKey key, in FlowKey maskedKey) => FlowShape.Covers(key, _maskBits, maskedKey);

    /// The entry covering <paramref name="key"/>, or null. Lock-free; allocation-free.
    public FlowEntry? Find(in FlowKey key) => Probe(Slots, key, Mask.Hash(key));

    // ---- Writer side: everything below runs under the classifier's write lock. ----

    /// The live entry whose masked key equals <paramref name="maskedKey"/>, or null.
    public FlowEntry? FindIdentical(in FlowKey maskedKey, ulong hash) => Probe(_slots, maskedKey, hash);

    /// Installs <paramref name="entry"/> (whose key is not in the table yet).
    public void Add(FlowEntry entry)
    {
        if ((_used + 1) * 2 > _slots.Length - Guard) Rebuild(Count + 1);
        int i;
        // When the probe would run into the kept-empty end (a cluster at the top of the table, rare), grow.
        while ((i = FreeSlot(_slots, entry.Hash)) < 0) Rebuild(Count + 1, 2 * (_slots.Length - Guard));
        var slots = _slots;
        if (slots[i].Tag == EmptyTag) _used++;
        // Found through its id until it is old (see Slot): the entry went into the flow table before this write, so a
        // reader that sees the tag finds it, or a later entry it rejects.
        Volatile.Write(ref slots[i].Entry, null);
        Volatile.Write(ref slots[i].Tag, WordOf(entry));
        Count++;
        Summarise(entry.Key);
    }

    // The first tombstone or empty slot on the probe sequence of hash, or -1 when it is one of the kept-empty slots.
    private static int FreeSlot(Slot[] slots, ulong hash)
    {
        int limit = slots.Length - Window;
        for (int i = (int)hash & (slots.Length - Guard - 1); i < limit; i++)
            if (slots[i].Tag is EmptyTag or TombstoneTag) return i;
        return -1;
    }

    /// Takes <paramref name="entry"/> out, leaving a tombstone.
    public void Remove(FlowEntry entry)
    {
        int i = IndexOf(entry);
        Volatile.Write(ref _slots[i].Tag, TombstoneTag);
        Volatile.Write(ref _slots[i].Entry, null);
        Count--;
    }

    /// After <paramref name="replacement"/> (same masked key) took the id of <paramref name="installed"/> in the flow
    /// table, drops the slot's direct reference to the old entry so readers find the new one through the id.
    public void Replace(FlowEntry installed, FlowEntry replacement)
    {
        Debug.Assert(installed.Id == replacement.Id);
        Volatile.Write(ref _slots[IndexOf(installed)].Entry, null);
    }

    /// Gives the slot of <paramref name="entry"/> (installed here, and now in the collector's oldest generation) a
    /// direct reference to it.
    public void Adopt(FlowEntry entry) => Volatile.Write(ref _slots[IndexOf(entry)].Entry, entry);

    /// <summary>
    /// False when no live entry here can cover a key that the match (<paramref name="maskedKey"/>,
    /// <paramref name="mask"/>) covers; true when one does or might. Exact when this subtable's mask is contained in
    /// <paramref name="mask"/> (one probe) or the table has at most <paramref name="scanLimit"/> slots (a scan); otherwise conservative, after a cheap
    /// test for a matched bit on which every entry here disagrees with the new key.
    /// </summary>
    public bool MayOverlap(in FlowKey maskedKey, in FlowMask mask, int scanLimit)
    {
        var key = maskedKey.AsWords();
        var theirs = mask.Words;
        var mine = Mask.Words;
        bool contained = true;
        for (int i = 0; i < FlowKey.Words; i++)
        {
            ulong common = mine[i] & theirs[i];
            ulong bits = key[i] & common;
            if ((bits & ~_or[i]) != 0 || (~bits & common & _and[i]) != 0) return false;
            if ((mine[i] & ~theirs[i]) != 0) contained = false;
        }
        // Every entry here matches a subset of the new match's bits: it overlaps iff it equals the new key there.
        if (contained) return Find(maskedKey) is not null;
        if (_slots.Length - Guard > scanLimit) return true;
        foreach (ref readonly var slot in _slots.AsSpan())
        {
            if (slot.Tag is EmptyTag or TombstoneTag) continue;
            var other = (slot.Entry ?? _flows[(int)(uint)slot.Tag]!).Key.AsWords();
            bool overlap = true;
            for (int i = 0; i < FlowKey.Words && overlap; i++)
                overlap = ((other[i] ^ key[i]) & mine[i] & theirs[i]) == 0;
            if (overlap) return true;
        }
        return false;
    }

    private int IndexOf(FlowEntry entry)
    {
        var slots = _slots;
        ulong word = WordOf(entry);
        for (int i = (int)entry.Hash & (slots.Length - Guard - 1); ; i++)
        {
            ref Slot slot = ref slots[i];
            if (slot.Tag == word) return i;
            if (slot.Tag == EmptyTag) throw new InvalidOperationException("Classifier invariant broken: an installed entry is missing from its subtable.");
        }
    }

    private void Summarise(in FlowKey key)
    {
        var words = key.AsWords();
        for (int i = 0; i < FlowKey.Words; i++)
        {
            _and[i] &= words[i];
            _or[i] |= words[i];
        }
    }

    // Copies the live entries into a table where they fill at most a third of the home range, then publishes it:
    // after a rebuild at least a sixth of the slots can be used before the next one, so rebuilding stays amortised O(1).
    // Doubles again in the unlikely case that a cluster runs into the kept-empty end. Reads only the slots (a slot's
    // tag holds the hash's low bits), not the entries, unless tombstones show that entries were removed: then the
    // overlap summary is recomputed from the live keys so it does not stay stale.
    private void Rebuild(int live, int minimumSize = MinimumSlots)
    {
        int size = minimumSize;
        while (size < live * 3) size *= 2;
        Slot[] slots;
        while (!TryCopyLive(size, out slots)) size *= 2;
        if (_used != Count)
        {
            _and.AsSpan().Fill(ulong.MaxValue);
            _or.AsSpan().Clear();
            foreach (ref readonly var slot in slots.AsSpan())
                if (slot.Tag > TombstoneTag) Summarise((slot.Entry ?? _flows[(int)(uint)slot.Tag]!).Key);
        }
        _used = Count;
        Volatile.Write(ref _slots, slots);
    }

    private bool TryCopyLive(int size, out Slot[] slots)
    {
        slots = new Slot[size + Guard];
        int limit = slots.Length - Window;
        foreach (ref readonly var old in _slots.AsSpan())
        {
            if (old.Tag is EmptyTag or TombstoneTag) continue;
            int i = (int)(old.Tag >> 32) & (size - 1);
            while (slots[i].Tag != EmptyTag) i++;
            if (i >= limit) return false;
            slots[i] = old;
        }
        return true;
    }
}
