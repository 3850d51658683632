using System.Runtime.CompilerServices;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Buffers.Internal;

namespace NetFabric.Datapath.Dpdk.Internal;

/// The owner of mbuf-backed buffers (installed as <see cref="NativeBufferOwner.Current"/> while a runtime lives):
/// <see cref="Buffers.PacketBuffer.Release"/> on such a buffer lands in <see cref="Release"/>, which queues the
/// mbuf on the calling thread's <see cref="MbufReleaseQueue"/> (no native call, no lock, no allocation after the
/// thread's first release). A release of a buffer that is not owned (already released)
/// is counted and ignored, as <see cref="Buffers.PacketPool"/> does with its own buffers.
internal sealed unsafe class MbufRecycler(PacketPool clonePool, int headroom) : NativeBufferOwner
{
    [ThreadStatic] private static MbufReleaseQueue? t_queue;

    private readonly List<MbufReleaseQueue> _queues = [];
    private long _doubleReleases;

    /// Releases of mbuf-backed buffers that were not owned at the time (ignored).
    public long DoubleReleases => Volatile.Read(ref _doubleReleases);

    public override PacketPool ClonePool => clonePool;

    public override int Headroom => headroom;

    public override void Release(PacketDescriptor* descriptor)
    {
        if ((descriptor->Flags & PacketDescriptor.FlagOwned) == 0)
        {
            Interlocked.Increment(ref _doubleReleases);
            return;
        }
        descriptor->Flags = 0;
        // The descriptor is the mbuf.
        (t_queue ?? CreateQueue()).Add((nint)descriptor);
    }

    /// Hands the calling thread's released mbufs to DPDK. Called at every burst, and by anyone who released buffers
    /// on a thread that will not burst again.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FlushCurrentThread()
    {
        var queue = t_queue;
        if (queue is not null && queue.Count > 0) queue.Flush();
    }

    /// Flushes (and forgets) the queues of threads that have ended: nobody else will. Safe at any time.
    public void FlushAbandoned()
    {
        lock (_queues)
        {
            for (int i = _queues.Count - 1; i >= 0; i--)
            {
                if (_queues[i].Owner.IsAlive) continue;
                _queues[i].Flush();
                _queues.RemoveAt(i);
            }
        }
    }

    /// Flushes every thread's queue. Only when no thread is releasing buffers (the runtime's shutdown).
    public void FlushAll()
    {
        lock (_queues)
            foreach (var queue in _queues) queue.Flush();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private MbufReleaseQueue CreateQueue()
    {
        var queue = new MbufReleaseQueue(Thread.CurrentThread);
        lock (_queues) _queues.Add(queue);
        t_queue = queue;
        return queue;
    }
}
