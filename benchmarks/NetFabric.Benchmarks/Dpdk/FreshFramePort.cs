using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Ports;

namespace NetFabric.Benchmarks.Dpdk;

/// <summary>
/// A port whose received frames are turned, before the worker sees them, into the frames of a range of flows taken
/// in turn (flow <c>first</c>, <c>first + 1</c>, …, wrapping) by <see cref="FlowFrames.Restore"/>. This is the
/// benchmark's traffic generator: frames come round again carrying the previous pass's TTL decrement and MAC
/// rewrites (through net_ring's rings, or through net_null's mempool, whose receive hands out the mbufs its
/// transmit freed), so without it a routed frame would expire after 63 passes and every frame would stay one flow.
/// Every frame must have been written whole with <see cref="FlowFrames.Write"/> once (the harness primes the
/// rings and the mempool). The restore runs on the worker's core and is charged to NetFabric (the <c>io</c> mode
/// with <c>--rewrite</c> measures its cost).
/// </summary>
internal sealed class FreshFramePort(IPacketPort inner, FlowFrames frames, int firstFlow, int flowCount) : IPacketPort
{
    private int _next;

    /// <summary>Frames received shorter than <see cref="FlowFrames.FrameLength"/>, passed on unchanged.</summary>
    public long ShortFrames { get; private set; }

    public string Name => inner.Name;
    public int QueueCount => inner.QueueCount;
    public LinkState LinkState => inner.LinkState;
    public PortStatistics Statistics => inner.Statistics;

    public int RxBurst(int queue, Span<PacketBuffer> buffers)
    {
        int count = inner.RxBurst(queue, buffers);
        int next = _next;
        for (int i = 0; i < count; i++)
        {
            var data = buffers[i].Data;
            if (data.Length < FlowFrames.FrameLength)
            {
                ShortFrames++;
                continue;
            }
            frames.Restore(data, firstFlow + next);
            if (++next == flowCount) next = 0;
        }
        _next = next;
        return count;
    }

    public int TxBurst(int queue, ReadOnlySpan<PacketBuffer> buffers) => inner.TxBurst(queue, buffers);

    public void Dispose() => inner.Dispose();
}
