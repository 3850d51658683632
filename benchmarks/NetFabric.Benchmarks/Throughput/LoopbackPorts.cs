using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Ports;

namespace NetFabric.Benchmarks.Throughput;

/// <summary>
/// A traffic source and sink that live on the worker's own core, like DPDK's net_null device: the sink port's
/// TxBurst puts packets on a shared stack and the source port's RxBurst hands them out again, after a
/// <see cref="Refill"/> callback has rewritten what the actions changed. The generator's work is therefore
/// charged to the worker, as net_null's mbuf handling is charged to testpmd's forwarding core.
/// </summary>
internal sealed class LoopbackPorts
{
    private readonly PacketBuffer[] _stack;
    private int _count;
    private long _delivered;

    public LoopbackPorts(PacketPool pool, int inFlight, Action<PacketBuffer, int> fill)
    {
        _stack = new PacketBuffer[inFlight];
        for (int i = 0; i < inFlight && pool.TryRent(out var buffer); i++)
        {
            fill(buffer, i);
            _stack[_count++] = buffer;
        }
        Source = new SourcePort(this);
        Sink = new SinkPort(this);
    }

    /// Called on each packet before it is received again, with a running packet number.
    public Action<PacketBuffer, long>? Refill { get; init; }

    public IPacketPort Source { get; }
    public IPacketPort Sink { get; }
    public long Delivered => Volatile.Read(ref _delivered);

    private sealed class SourcePort(LoopbackPorts owner) : IPacketPort
    {
        private long _sequence;
        public string Name => "loopback-source";
        public int QueueCount => 1;
        public LinkState LinkState => LinkState.Up;
        public PortStatistics Statistics => default;

        public int RxBurst(int queue, Span<PacketBuffer> buffers)
        {
            int count = Math.Min(buffers.Length, owner._count);
            var refill = owner.Refill;
            for (int i = 0; i < count; i++)
            {
                var buffer = owner._stack[--owner._count];
                refill?.Invoke(buffer, _sequence++);
                buffers[i] = buffer;
            }
            return count;
        }

        public int TxBurst(int queue, ReadOnlySpan<PacketBuffer> buffers)
        {
            foreach (var buffer in buffers) buffer.Release();
            return 0;
        }

        public void Dispose() { }
    }

    private sealed class SinkPort(LoopbackPorts owner) : IPacketPort
    {
        public string Name => "loopback-sink";
        public int QueueCount => 1;
        public LinkState LinkState => LinkState.Up;
        public PortStatistics Statistics => default;
        public int RxBurst(int queue, Span<PacketBuffer> buffers) => 0;

        public int TxBurst(int queue, ReadOnlySpan<PacketBuffer> buffers)
        {
            foreach (var buffer in buffers) owner._stack[owner._count++] = buffer;
            owner._delivered += buffers.Length;
            return buffers.Length;
        }

        public void Dispose() { }
    }
}
