using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Buffers;

/// <summary>
/// A reusable burst of up to <see cref="MaximumSize"/> packet buffers: what a worker receives from a port and
/// pushes through lookup and execution in one go. The batch does not own the packets' memory (their pool does)
/// but it owns the handles in it until they are handed on or released. Not thread-safe; allocation-free after construction.
/// </summary>
public sealed class PacketBatch
{
    /// <summary>The largest burst NetFabric moves at once.</summary>
    public const int MaximumSize = 64;

    private readonly PacketBuffer[] _buffers;

    /// <summary>Creates an empty batch holding up to <paramref name="capacity"/> buffers (at most 64).</summary>
    public PacketBatch(int capacity = MaximumSize)
    {
        if (capacity <= 0 || capacity > MaximumSize) ThrowHelper.ArgumentOutOfRange(nameof(capacity), "A batch holds 1 to 64 buffers.");
        _buffers = new PacketBuffer[capacity];
    }

    /// <summary>How many buffers the batch can hold.</summary>
    public int Capacity => _buffers.Length;

    /// <summary>How many buffers the batch holds.</summary>
    public int Count { get; private set; }

    /// <summary>True when no more buffers fit.</summary>
    public bool IsFull => Count == _buffers.Length;

    /// <summary>The buffers in the batch.</summary>
    public Span<PacketBuffer> Buffers => _buffers.AsSpan(0, Count);

    /// <summary>The whole backing store, for a port's RxBurst to fill; follow with <see cref="SetCount"/>.</summary>
    public Span<PacketBuffer> Free => _buffers.AsSpan(Count);

    /// <summary>The buffer at <paramref name="index"/>.</summary>
    public ref PacketBuffer this[int index] => ref _buffers.AsSpan(0, Count)[index];

    /// <summary>Adds a buffer; false when the batch is full.</summary>
    public bool TryAdd(PacketBuffer buffer)
    {
        if (Count == _buffers.Length) return false;
        _buffers[Count++] = buffer;
        return true;
    }

    /// <summary>Sets how many buffers are held after something wrote into <see cref="Free"/> directly.</summary>
    public void SetCount(int count)
    {
        if ((uint)count > (uint)_buffers.Length) ThrowHelper.ArgumentOutOfRange(nameof(count), "The count exceeds the batch's capacity.");
        Count = count;
    }

    /// <summary>Forgets the handles without releasing them (they were handed on).</summary>
    public void Clear() => Count = 0;

    /// <summary>Releases every buffer to its pool and empties the batch.</summary>
    public void ReleaseAll()
    {
        foreach (var buffer in Buffers) buffer.Release();
        Count = 0;
    }
}
