using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Ports.Internal;

namespace NetFabric.Datapath.Ports;

/// <summary>
/// An in-memory port, created in connected pairs: what one end transmits, the other receives, handle by handle
/// (zero copy) through a lock-free single-producer/single-consumer ring in each direction. For tests, benchmarks,
/// and appliances wiring pipeline stages together. One queue; one thread may transmit and one (other) thread may
/// receive on each end at a time.
/// </summary>
public sealed class RingPort : IPacketPort
{
    private readonly SpscRing<PacketBuffer> _receive;
    private readonly SpscRing<PacketBuffer> _transmit;
    private readonly PortCounters[] _counters = new PortCounters[1];
    private volatile bool _disposed;

    private RingPort(string name, SpscRing<PacketBuffer> receive, SpscRing<PacketBuffer> transmit)
    {
        Name = name;
        _receive = receive;
        _transmit = transmit;
    }

    /// <summary>
    /// Creates two connected ports. <paramref name="capacity"/> (a power of two) is how many packets each direction
    /// can hold; a transmit that finds the ring full drops the excess (counted).
    /// </summary>
    public static (RingPort First, RingPort Second) CreatePair(string firstName, string secondName, int capacity = 1024)
    {
        var forward = new SpscRing<PacketBuffer>(capacity);
        var backward = new SpscRing<PacketBuffer>(capacity);
        var first = new RingPort(firstName, backward, forward);
        var second = new RingPort(secondName, forward, backward);
        first.Peer = second;
        second.Peer = first;
        return (first, second);
    }

    /// <summary>The other end of the pair.</summary>
    public RingPort Peer { get; private set; } = null!;

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int QueueCount => 1;

    /// <inheritdoc />
    public LinkState LinkState => _disposed || Peer._disposed ? LinkState.Down : LinkState.Up;

    /// <inheritdoc />
    public PortStatistics Statistics => PortCounters.Sum(_counters);

    /// <summary>Packets waiting to be received on this end.</summary>
    public int Pending => _receive.Count;

    /// <inheritdoc />
    public int RxBurst(int queue, Span<PacketBuffer> buffers)
    {
        int count = _receive.Dequeue(buffers);
        ref var counters = ref _counters[0];
        counters.RxPackets += count;
        for (int i = 0; i < count; i++) counters.RxBytes += buffers[i].Length;
        return count;
    }

    /// <inheritdoc />
    public int TxBurst(int queue, ReadOnlySpan<PacketBuffer> buffers)
    {
        ref var counters = ref _counters[0];
        int sent = _disposed || Peer._disposed ? 0 : _transmit.Enqueue(buffers);
        for (int i = 0; i < sent; i++) counters.TxBytes += buffers[i].Length;
        counters.TxPackets += sent;
        if (sent < buffers.Length)
        {
            counters.TxDrops += buffers.Length - sent;
            foreach (var dropped in buffers.Slice(sent)) dropped.Release();
        }
        return sent;
    }

    /// <summary>Marks this end down and releases the packets waiting on it.</summary>
    public void Dispose()
    {
        _disposed = true;
        Span<PacketBuffer> drain = stackalloc PacketBuffer[32];
        int count;
        while ((count = _receive.Dequeue(drain)) > 0)
            foreach (var buffer in drain.Slice(0, count)) buffer.Release();
    }
}
