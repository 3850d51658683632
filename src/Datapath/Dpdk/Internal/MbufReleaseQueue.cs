namespace NetFabric.Datapath.Dpdk.Internal;

/// One thread's released mbufs that have not been handed back to DPDK yet: releasing a buffer appends its mbuf
/// here, and the queue goes to the mempool in one native call when it is full or when the thread next calls a
/// burst. A worker releasing a burst of drops thus costs one call, not one per packet.
/// Only its thread touches it, except <see cref="MbufRecycler"/> flushing it once that thread has ended (or when
/// the whole runtime shuts down, after the workers stopped).
internal sealed unsafe class MbufReleaseQueue(Thread owner)
{
    public const int Capacity = 64;

    private readonly nint[] _mbufs = new nint[Capacity];
    private int _count;

    /// The thread whose releases this queue holds.
    public Thread Owner { get; } = owner;

    /// Mbufs waiting to be freed.
    public int Count => _count;

    public void Add(nint mbuf)
    {
        _mbufs[_count++] = mbuf;
        if (_count == Capacity) Flush();
    }

    /// Frees every waiting mbuf in one call.
    public void Flush()
    {
        int count = _count;
        if (count == 0) return;
        fixed (nint* mbufs = _mbufs) DpdkNative.FreeBulk(mbufs, (uint)count);
        _count = 0;
    }
}
