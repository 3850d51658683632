using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetFabric.Datapath.Buffers.Internal;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Buffers;

/// <summary>
/// A bounded pool of fixed-size packet buffers in one block of native memory (nothing for the GC to scan or
/// move). Renting and returning are lock-free and allocation-free and may happen on any thread. When the pool is
/// empty a rent fails and is counted in <see cref="Exhausted"/>: callers drop the packet, they never allocate.
/// A buffer returned twice is detected, counted in <see cref="DoubleReturns"/> and ignored (in debug builds it
/// also fails a <see cref="Debug.Assert(bool)"/>), so a bug cannot hand one buffer to two owners.
/// </summary>
/// <remarks>
/// Buffers that a native port hands out (a DPDK mbuf, which is itself a descriptor: the two share rte_mbuf's layout)
/// are released through the same calls: <see cref="PacketBuffer.Release"/> and <see cref="Return(PacketBuffer)"/>
/// recognise them (their descriptor names a DPDK mempool) and give them back to the port's runtime instead of to a pool. Such a
/// buffer's clone (<see cref="TryClone"/>) is an ordinary pool buffer rented from the pool its runtime designates.
/// </remarks>
public sealed unsafe class PacketPool : IDisposable
{
    /// <summary>Default bytes of frame room per buffer (fits a 1500-byte MTU frame plus tags, or a jumbo-less GRO-free frame).</summary>
    public const int DefaultDataSize = 2048;
    /// <summary>Default headroom in front of each frame: room for the largest encapsulation NetFabric pushes.</summary>
    public const int DefaultHeadroom = 128;

    // Pools by id, so a buffer can be released without knowing where it came from (the id is in its descriptor).
    private static readonly PacketPool?[] Registry = new PacketPool?[ushort.MaxValue + 1];
    private static readonly object RegistryLock = new();

    private readonly byte* _memory;
    private readonly PacketDescriptor* _descriptors;
    private readonly int[] _next;
    private readonly ushort _id;
    private readonly int _headroom;
    // Treiber stack of free indices: low 32 bits = index + 1 (0 = empty), high 32 bits = a tag bumped on
    // every change so a pop that raced with pop-push of the same index (ABA) fails its compare-exchange.
    private long _head;
    private int _available;
    private long _exhausted;
    private long _doubleReturns;
    private int _disposed;

    /// <summary>
    /// Creates a pool of <paramref name="count"/> buffers, each with <paramref name="headroom"/> bytes in front of
    /// <paramref name="dataSize"/> bytes of frame room. Allocates (count × (192 + headroom + dataSize)) bytes of native memory.
    /// </summary>
    public PacketPool(int count, int dataSize = DefaultDataSize, int headroom = DefaultHeadroom)
    {
        if (count <= 0) ThrowHelper.ArgumentOutOfRange(nameof(count), "A pool holds at least one buffer.");
        if (dataSize < 64 || headroom < 0) ThrowHelper.ArgumentOutOfRange(nameof(dataSize), "A buffer holds at least 64 bytes of frame and a non-negative headroom.");
        // Offsets and lengths are 16-bit, as in a DPDK mbuf, whose layout the descriptor shares.
        if (headroom + dataSize > ushort.MaxValue) ThrowHelper.ArgumentOutOfRange(nameof(dataSize), "Headroom and frame room together must not exceed 65535 bytes.");
        Count = count;
        DataSize = dataSize;
        _headroom = headroom;
        int stride = (headroom + dataSize + 63) & ~63;
        _descriptors = (PacketDescriptor*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(PacketDescriptor)), 64);
        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)count * (nuint)stride, 64);
        _next = new int[count];
        lock (RegistryLock)
        {
            int id = Array.IndexOf(Registry, null, 1);
            if (id < 0) throw new InvalidOperationException("More than 65535 packet pools are alive; dispose pools that are no longer used.");
            _id = (ushort)id;
            Registry[id] = this;
        }
        for (int i = 0; i < count; i++)
        {
            var descriptor = _descriptors + i;
            *descriptor = default;
            descriptor->Buffer = _memory + (nint)i * stride;
            descriptor->Capacity = (ushort)(headroom + dataSize);
            descriptor->Index = i;
            descriptor->PoolId = _id;
            descriptor->DataOffset = (ushort)headroom;
            _next[i] = i + 1 < count ? i + 1 : -1;
        }
        _head = 1; // index 0 on top, tag 0
        _available = count;
    }

    /// <summary>Number of buffers the pool owns.</summary>
    public int Count { get; }

    /// <summary>Bytes of frame room per buffer (after the headroom).</summary>
    public int DataSize { get; }

    /// <summary>Buffers currently in the pool (a racy snapshot).</summary>
    public int Available => Volatile.Read(ref _available);

    /// <summary>Rents that failed because the pool was empty.</summary>
    public long Exhausted => Volatile.Read(ref _exhausted);

    /// <summary>Returns of a buffer that was already in the pool (ignored).</summary>
    public long DoubleReturns => Volatile.Read(ref _doubleReturns);

    /// <summary>Takes a buffer with an empty frame and standard headroom; false (counted) when the pool is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRent(out PacketBuffer buffer)
    {
        int index = Pop();
        if (index < 0)
        {
            Interlocked.Increment(ref _exhausted);
            buffer = default;
            return false;
        }
        var descriptor = _descriptors + index;
        descriptor->Flags = PacketDescriptor.FlagOwned;
        ResetDescriptor(descriptor);
        buffer = new PacketBuffer(descriptor);
        return true;
    }

    /// <summary>Fills <paramref name="buffers"/> with rented buffers; returns how many (fewer when the pool ran dry, counted once).</summary>
    public int RentBatch(Span<PacketBuffer> buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
            if (!TryRent(out buffers[i])) return i;
        return buffers.Length;
    }

    /// <summary>Returns a buffer of this pool. A buffer of another pool (or of a native port) goes to its own owner.</summary>
    public void Return(PacketBuffer buffer)
    {
        if (buffer.IsNull) return;
        // A native buffer (an mbuf) has no pool id (those bytes are DPDK's): test that first.
        if (buffer.Descriptor->IsNative || buffer.Descriptor->PoolId != _id)
        {
            ReturnToOwner(buffer);
            return;
        }
        var descriptor = buffer.Descriptor;
        // A cheap owner check catches the common double release; two threads releasing the same buffer at the
        // same instant is a race the check does not cover (and an ownership bug in any case).
        if ((descriptor->Flags & PacketDescriptor.FlagOwned) == 0)
        {
            Interlocked.Increment(ref _doubleReturns);
            Debug.Assert(false, "A packet buffer was returned to its pool twice.");
            return;
        }
        descriptor->Flags = 0;
        Push(descriptor->Index);
    }

    /// <summary>Returns every buffer in <paramref name="buffers"/>.</summary>
    public void Return(ReadOnlySpan<PacketBuffer> buffers)
    {
        foreach (var buffer in buffers) Return(buffer);
    }

    /// <summary>
    /// Copies <paramref name="source"/> (frame, headroom position and metadata) into a buffer rented from the same
    /// pool (for a native port's buffer, from the pool its runtime designates); false (counted as exhaustion) when
    /// that pool is empty or its buffers are too small. Used to send one packet out of several ports.
    /// </summary>
    public static bool TryClone(PacketBuffer source, out PacketBuffer copy)
    {
        var from = source.Descriptor;
        var pool = from->IsNative ? NativeBufferOwner.Current?.ClonePool : Registry[from->PoolId];
        if (pool is null || !pool.TryRent(out copy))
        {
            copy = default;
            return false;
        }
        var to = copy.Descriptor;
        if (from->DataOffset + from->Length > to->Capacity)
        {
            copy.Release();
            copy = default;
            return false;
        }
        to->DataOffset = from->DataOffset;
        to->Length = from->Length;
        to->PacketLength = from->Length;
        to->InPort = from->InPort;
        to->Flags = PacketDescriptor.FlagOwned | (from->Flags & ~PacketDescriptor.FlagOwned);
        to->FlowHash = from->FlowHash;
        to->TunnelId = from->TunnelId;
        to->TunnelSource = from->TunnelSource;
        to->TunnelDestination = from->TunnelDestination;
        to->Timestamp = from->Timestamp;
        new ReadOnlySpan<byte>(from->Buffer + from->DataOffset, from->Length).CopyTo(new Span<byte>(to->Buffer + to->DataOffset, to->Length));
        return true;
    }

    internal static void ReturnToOwner(PacketBuffer buffer)
    {
        if (buffer.IsNull) return;
        if (buffer.Descriptor->IsNative)
        {
            ReturnToNativeOwner(buffer.Descriptor);
            return;
        }
        var pool = Registry[buffer.Descriptor->PoolId];
        if (pool is null) ThrowHelper.ArgumentOutOfRange(nameof(buffer), "The buffer's pool has been disposed.");
        pool.Return(buffer);
    }

    // Off the hot path's inlined body: only native ports' buffers come here.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ReturnToNativeOwner(PacketDescriptor* descriptor)
    {
        var owner = NativeBufferOwner.Current;
        if (owner is null) throw new InvalidOperationException("The buffer belongs to a native port whose runtime has been disposed.");
        owner.Release(descriptor);
    }

    // Empty frame at the standard headroom (the pool's, or DPDK's for an mbuf), metadata cleared, ownership kept.
    internal static void ResetDescriptor(PacketDescriptor* descriptor)
    {
        int headroom = descriptor->IsNative
            ? NativeBufferOwner.Current?.Headroom ?? 0
            : Registry[descriptor->PoolId]?._headroom ?? 0;
        descriptor->DataOffset = (ushort)Math.Min(headroom, descriptor->Capacity);
        descriptor->Length = 0;
        descriptor->PacketLength = 0;
        descriptor->InPort = 0;
        descriptor->Flags &= PacketDescriptor.FlagOwned;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Pop()
    {
        while (true)
        {
            long head = Volatile.Read(ref _head);
            int index = (int)(uint)head - 1;
            if (index < 0) return -1;
            int next = Volatile.Read(ref _next[index]);
            long replacement = ((head >> 32) + 1 << 32) | (uint)(next + 1);
            if (Interlocked.CompareExchange(ref _head, replacement, head) == head)
            {
                Interlocked.Decrement(ref _available);
                return index;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Push(int index)
    {
        while (true)
        {
            long head = Volatile.Read(ref _head);
            Volatile.Write(ref _next[index], (int)(uint)head - 1);
            long replacement = ((head >> 32) + 1 << 32) | (uint)(index + 1);
            if (Interlocked.CompareExchange(ref _head, replacement, head) == head)
            {
                Interlocked.Increment(ref _available);
                return;
            }
        }
    }

    /// <summary>
    /// Frees the native memory. Every buffer must be back in the pool, or be abandoned by its owner: a handle used
    /// after disposal points at freed memory.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (RegistryLock) Registry[_id] = null;
        NativeMemory.AlignedFree(_memory);
        NativeMemory.AlignedFree(_descriptors);
    }
}
