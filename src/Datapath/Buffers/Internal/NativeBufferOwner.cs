namespace NetFabric.Datapath.Buffers.Internal;

/// The owner of buffers that are native packet objects rather than <see cref="PacketPool"/> buffers: a DPDK mbuf
/// is itself a <see cref="PacketDescriptor"/> (the descriptor shares rte_mbuf's layout), recognised by its
/// <see cref="PacketDescriptor.NativePool"/>. <see cref="PacketPool"/> sends the release of such a buffer here
/// (one compare on a line it reads anyway), so a worker releases mbufs and pool buffers alike without knowing
/// which it holds.
/// One owner per process: DPDK allows one environment (EAL) per process, and its runtime installs itself here
/// while it lives.
internal abstract unsafe class NativeBufferOwner
{
    private static volatile NativeBufferOwner? s_current;

    /// The installed owner, or null when no native runtime is alive.
    public static NativeBufferOwner? Current => s_current;

    /// Installs <paramref name="owner"/>; null uninstalls. Called by the native runtime on start and dispose.
    public static void Install(NativeBufferOwner? owner) => s_current = owner;

    /// The pool that clones of native buffers are rented from (<see cref="PacketPool.TryClone"/>).
    public abstract PacketPool ClonePool { get; }

    /// The headroom an emptied native buffer starts its frame at (<see cref="PacketBuffer.Reset"/>).
    public abstract int Headroom { get; }

    /// Takes back a buffer whose descriptor is native. Must be allocation-free and callable from any thread.
    public abstract void Release(PacketDescriptor* descriptor);
}
