using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Ports.Internal;

/// A lock-free single-producer single-consumer ring of unmanaged items (DPDK's rte_ring in SP/SC mode, in
/// spirit). Power-of-two capacity; the producer and consumer indices sit on separate cache lines, and each side
/// caches the other's index so a burst touches the shared line once.
internal sealed class SpscRing<T> where T : unmanaged
{
    private readonly T[] _items;
    private readonly int _mask;
    private SpscRingIndices _indices;

    public SpscRing(int capacity)
    {
        if (capacity < 2 || !BitOperations.IsPow2(capacity)) ThrowHelper.ArgumentOutOfRange(nameof(capacity), "A ring's capacity is a power of two, at least 2.");
        _items = new T[capacity];
        _mask = capacity - 1;
    }

    public int Capacity => _items.Length;

    /// Items in the ring (a racy snapshot).
    public int Count => (int)(Volatile.Read(ref _indices.Tail) - Volatile.Read(ref _indices.Head));

    /// Producer side: appends as many of <paramref name="items"/> as fit; returns how many.
    public int Enqueue(ReadOnlySpan<T> items)
    {
        long tail = _indices.Tail;
        long free = _items.Length - (tail - _indices.CachedHead);
        if (free < items.Length)
        {
            _indices.CachedHead = Volatile.Read(ref _indices.Head);
            free = _items.Length - (tail - _indices.CachedHead);
        }
        int count = (int)Math.Min(free, items.Length);
        for (int i = 0; i < count; i++) _items[(int)(tail + i) & _mask] = items[i];
        // Release: the items are visible before the consumer sees the new tail.
        Volatile.Write(ref _indices.Tail, tail + count);
        return count;
    }

    /// Consumer side: removes up to <c>destination.Length</c> items; returns how many.
    public int Dequeue(Span<T> destination)
    {
        long head = _indices.Head;
        long available = _indices.CachedTail - head;
        if (available < destination.Length)
        {
            _indices.CachedTail = Volatile.Read(ref _indices.Tail);
            available = _indices.CachedTail - head;
        }
        int count = (int)Math.Min(available, destination.Length);
        for (int i = 0; i < count; i++) destination[i] = _items[(int)(head + i) & _mask];
        Volatile.Write(ref _indices.Head, head + count);
        return count;
    }
}

// Producer-owned fields on one cache line, consumer-owned on another, shared indices each on their own.
// Outside the generic ring because a generic type cannot have an explicit layout.
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct SpscRingIndices
{
    [FieldOffset(0)] public long Tail;        // written by the producer
    [FieldOffset(64)] public long CachedHead; // producer's copy
    [FieldOffset(128)] public long Head;      // written by the consumer
    [FieldOffset(192)] public long CachedTail; // consumer's copy
}
