namespace NetFabric.Datapath.Buffers.Internal;

/// The owner of buffers whose descriptor lives inside a native packet object rather than in a
/// <see cref="PacketPool"/>: a DPDK mbuf hosts its <see cref="PacketDescriptor"/> in its private area and sets
/// <see cref="PacketDescriptor.Native"/> to the rte_mbuf*. <see cref="PacketPool"/> sends the release of such a
/// buffer here (it branches on <c>Native != 0</c>, one compare on a line it reads anyway), so a worker releases
/// mbufs and pool buffers alike without knowing which it holds.
/// One owner per process: DPDK allows one environment (EAL) per process, and its runtime installs itself here
/// while it lives. The descriptor's <see cref="PacketDescriptor.PoolId"/> still names an ordinary pool, the one
/// clones of the buffer are rented from (<see cref="PacketPool.TryClone"/>).
internal abstract unsafe class NativeBufferOwner
{
    private static volatile NativeBufferOwner? s_current;

    /// The installed owner, or null when no native runtime is alive.
    public static NativeBufferOwner? Current => s_current;

    /// Installs <paramref name="owner"/>; null uninstalls. Called by the native runtime on start and dispose.
    public static void Install(NativeBufferOwner? owner) => s_current = owner;

    /// Takes back a buffer whose descriptor has <c>Native != 0</c>. Must be allocation-free and callable from any thread.
    public abstract void Release(PacketDescriptor* descriptor);
}
