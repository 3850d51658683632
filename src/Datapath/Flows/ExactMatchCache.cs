using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetFabric.Datapath.Flows;

/// <summary>
/// A per-worker exact-match cache in front of the <see cref="MegaflowClassifier"/> (Open vSwitch's EMC): whole keys
/// mapped to the megaflow that covered them, so a packet of a known microflow costs one hash, at most two slot
/// reads and one 112-byte comparison. Each key has two candidate slots, chosen by the low and the high 32 bits of
/// its hash (a 2-way skewed-associative cache); a slot holds a full copy of the key, its hash and the entry.
/// </summary>
/// <remarks>
/// Not thread-safe: each worker owns one. Entries are never removed explicitly: <see cref="Lookup"/> returns an
/// entry only while <see cref="FlowEntry.IsAlive"/>, so removing, evicting, expiring or invalidating a flow in the
/// classifier makes every cache drop it on its next lookup. Lookups and inserts never allocate. Memory: 128 bytes
/// per slot (1 MiB for the default 8192 slots).
/// </remarks>
public sealed class ExactMatchCache
{
    private readonly Slot[] _slots;
    private readonly int _mask;

    /// <summary>Creates a cache of at least <paramref name="entries"/> slots (rounded up to a power of two, at least 2).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="entries"/> is not positive or above 2^30.</exception>
    public ExactMatchCache(int entries = 8192)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(entries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(entries, 1 << 30);
        int size = Math.Max(2, (int)BitOperations.RoundUpToPowerOf2((uint)entries));
        _slots = new Slot[size];
        _mask = size - 1;
    }

    /// <summary>Slots.</summary>
    public int Capacity => _slots.Length;

    /// <summary>
    /// The live entry cached for <paramref name="key"/>, or null. <paramref name="hash"/> must be the hash the key was
    /// inserted with (<see cref="FlowHash.Of"/>). A dead entry found on the way is forgotten.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FlowEntry? Lookup(in FlowKey key, ulong hash)
    {
        ref Slot first = ref MemoryMarshal.GetArrayDataReference(_slots);
        ref Slot slot = ref Unsafe.Add(ref first, (int)hash & _mask);
        if (slot.Hash != hash || !SameKey(slot.Key, key))
        {
            slot = ref Unsafe.Add(ref first, (int)(hash >> 32) & _mask);
            if (slot.Hash != hash || !SameKey(slot.Key, key)) return null;
        }
        var entry = slot.Entry;
        if (entry is null || entry.IsAlive) return entry;
        slot.Entry = null;
        return null;
    }

    /// <summary>
    /// Caches <paramref name="entry"/> for <paramref name="key"/> (whose <see cref="FlowHash.Of"/> is
    /// <paramref name="hash"/>), overwriting the key's previous entry, else an empty or dead slot, else the candidate
    /// slot whose key hashed lower (a cheap pseudo-random choice, as Open vSwitch makes).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="entry"/> is null.</exception>
    public void Insert(in FlowKey key, ulong hash, FlowEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ref Slot first = ref MemoryMarshal.GetArrayDataReference(_slots);
        ref Slot a = ref Unsafe.Add(ref first, (int)hash & _mask);
        ref Slot b = ref Unsafe.Add(ref first, (int)(hash >> 32) & _mask);
        ref Slot target = ref a;
        if (a.Entry is not null && a.Hash == hash && SameKey(a.Key, key)) target = ref a;
        else if (b.Entry is not null && b.Hash == hash && SameKey(b.Key, key)) target = ref b;
        else if (a.Entry is null || !a.Entry.IsAlive) target = ref a;
        else if (b.Entry is null || !b.Entry.IsAlive) target = ref b;
        else if (b.Hash < a.Hash) target = ref b;
        target.Key = key;
        target.Hash = hash;
        target.Entry = entry;
    }

    /// <summary>Forgets everything. O(<see cref="Capacity"/>).</summary>
    public void Clear() => Array.Clear(_slots);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SameKey(in FlowKey left, in FlowKey right)
    {
        ref byte a = ref Unsafe.As<FlowKey, byte>(ref Unsafe.AsRef(in left));
        ref byte b = ref Unsafe.As<FlowKey, byte>(ref Unsafe.AsRef(in right));
        if (Vector256.IsHardwareAccelerated)
        {
            // 112 bytes = three 32-byte lanes + one 16-byte lane, compared without a call or a loop.
            var difference = (Vector256.LoadUnsafe(ref a) ^ Vector256.LoadUnsafe(ref b))
                | (Vector256.LoadUnsafe(ref a, 32) ^ Vector256.LoadUnsafe(ref b, 32))
                | (Vector256.LoadUnsafe(ref a, 64) ^ Vector256.LoadUnsafe(ref b, 64));
            return difference == Vector256<byte>.Zero
                && Vector128.LoadUnsafe(ref a, 96) == Vector128.LoadUnsafe(ref b, 96);
        }
        return MemoryMarshal.CreateReadOnlySpan(ref a, FlowKey.Size).SequenceEqual(MemoryMarshal.CreateReadOnlySpan(ref b, FlowKey.Size));
    }

    private struct Slot
    {
        public FlowKey Key;
        public ulong Hash;
        public FlowEntry? Entry;
    }
}
