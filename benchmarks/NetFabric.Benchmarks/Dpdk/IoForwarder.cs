using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Pipeline.Internal;
using NetFabric.Datapath.Ports;

namespace NetFabric.Benchmarks.Dpdk;

/// <summary>
/// NetFabric's counterpart of <c>dpdk-testpmd --forward-mode=io</c>: one pinned thread receives a burst from port A
/// and transmits it on B, then B to A, with no lookup and no look at the frames. A plain loop over
/// <see cref="IPacketPort"/> rather than a <see cref="Datapath.Pipeline.PacketPipeline"/>, because a pipeline
/// always extracts a flow key and looks it up (the <c>output</c> mode measures that: one flow, EMC hit).
/// </summary>
internal sealed class IoForwarder(IPacketPort first, IPacketPort second, int burst, int cpu)
{
    private Thread? _thread;
    private volatile bool _running;
    private long _forwarded;

    /// <summary>Packets the ports accepted for transmission so far (read from any thread).</summary>
    public long Forwarded => Volatile.Read(ref _forwarded);

    public void Start()
    {
        _running = true;
        _thread = new Thread(Run) { IsBackground = true, Name = "netfabric-io-forwarder" };
        _thread.Start();
    }

    public void Stop()
    {
        _running = false;
        _thread?.Join();
    }

    private void Run()
    {
        ThreadAffinity.TryPinCurrentThread(cpu);
        var buffers = new PacketBuffer[burst];
        long forwarded = 0;
        while (_running)
        {
            int count = first.RxBurst(0, buffers);
            if (count > 0) forwarded += second.TxBurst(0, buffers.AsSpan(0, count));
            count = second.RxBurst(0, buffers);
            if (count > 0) forwarded += first.TxBurst(0, buffers.AsSpan(0, count));
            // One plain store per iteration: only this thread writes, the reader tolerates a value a loop late.
            Volatile.Write(ref _forwarded, forwarded);
        }
    }
}
