using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetFabric.Datapath.Buffers.Internal;

// Every native signature in this assembly is blittable (pointers, integers, blittable structs), so the runtime's
// marshalling layer has nothing to do: turning it off makes each stub a plain call and makes a signature that would
// need marshalling a compile-time error instead of a hidden per-call cost.
[assembly: DisableRuntimeMarshalling]

namespace NetFabric.Datapath.Dpdk.Internal;

/// The exports of libnetfabric_dpdk (native/netfabric_dpdk.c). One call per burst, never per packet.
/// Resolved through <see cref="DpdkNativeLibrary"/>, which every caller has gone through first
/// (<see cref="DpdkRuntime.Start"/>), so a missing shim surfaces as its <see cref="DpdkUnavailableException"/>.
/// <para>SuppressGCTransition skips the GC mode switch (a few nanoseconds a call) and is only on calls that never
/// block, never make a system call and return quickly: mempool alloc/free, and the bursts of drivers known to be
/// pure memory (the *Fast variants, chosen per port from the driver's name; see <see cref="DpdkPort"/>).
/// A suppressed call that blocked would stall every thread waiting for a garbage collection.</para>
internal static unsafe partial class DpdkNative
{
    public const string Library = "netfabric_dpdk";

    [LibraryImport(Library, EntryPoint = "nf_abi_get")]
    public static partial int AbiGet(NativeAbi* abi);

    [LibraryImport(Library, EntryPoint = "nf_eal_init")]
    public static partial int EalInit(int argc, byte** argv);

    [LibraryImport(Library, EntryPoint = "nf_metadata_register")]
    public static partial int MetadataRegister();

    [LibraryImport(Library, EntryPoint = "nf_eal_cleanup")]
    public static partial int EalCleanup();

    [LibraryImport(Library, EntryPoint = "nf_errno")]
    public static partial int Errno();

    [LibraryImport(Library, EntryPoint = "nf_strerror")]
    public static partial void StrError(int error, byte* buffer, uint size);

    // Takes EAL locks and reads the thread's affinity (a system call).
    [LibraryImport(Library, EntryPoint = "nf_thread_register")]
    public static partial int ThreadRegister();

    [LibraryImport(Library, EntryPoint = "nf_lcore_id")]
    [SuppressGCTransition]
    public static partial int LcoreId();

    [LibraryImport(Library, EntryPoint = "nf_pool_create")]
    public static partial nint PoolCreate(byte* name, uint count, uint cacheSize, ushort dataRoom, int socketId);

    [LibraryImport(Library, EntryPoint = "nf_pool_free")]
    public static partial void PoolFree(nint pool);

    [LibraryImport(Library, EntryPoint = "nf_pool_available")]
    [SuppressGCTransition]
    public static partial uint PoolAvailable(nint pool);

    [LibraryImport(Library, EntryPoint = "nf_port_attach")]
    public static partial int PortAttach(byte* devargs, ushort* portId);

    [LibraryImport(Library, EntryPoint = "nf_ring_pair_create")]
    public static partial int RingPairCreate(byte* first, byte* second, uint ringSize, ushort* firstPort, ushort* secondPort, nint* rings);

    [LibraryImport(Library, EntryPoint = "nf_ring_free")]
    public static partial void RingFree(nint ring);

    [LibraryImport(Library, EntryPoint = "nf_port_configure")]
    public static partial int PortConfigure(ushort portId, NativePortConfig* config, nint pool, NativePortInfo* info);

    [LibraryImport(Library, EntryPoint = "nf_port_start")]
    public static partial int PortStart(ushort portId);

    [LibraryImport(Library, EntryPoint = "nf_port_close")]
    public static partial int PortClose(ushort portId, int removeDevice);

    // Some drivers ask the kernel (tap: ioctl), so never suppressed.
    [LibraryImport(Library, EntryPoint = "nf_port_stats")]
    public static partial int PortStats(ushort portId, NativePortStatistics* statistics);

    [LibraryImport(Library, EntryPoint = "nf_port_link")]
    public static partial int PortLink(ushort portId, NativeLink* link);

    [LibraryImport(Library, EntryPoint = "nf_rx_burst")]
    public static partial ushort RxBurst(ushort portId, ushort queue, PacketDescriptor** descriptors, ushort count, uint inPort, NativeBurstResult* result);

    [LibraryImport(Library, EntryPoint = "nf_rx_burst")]
    [SuppressGCTransition]
    public static partial ushort RxBurstFast(ushort portId, ushort queue, PacketDescriptor** descriptors, ushort count, uint inPort, NativeBurstResult* result);

    // Transmit returns the packets sent, or -1 (nothing sent) when the burst holds a buffer that is not an mbuf.
    [LibraryImport(Library, EntryPoint = "nf_tx_burst")]
    public static partial int TxBurst(ushort portId, ushort queue, PacketDescriptor** descriptors, ushort count, NativeBurstResult* result);

    [LibraryImport(Library, EntryPoint = "nf_tx_burst")]
    [SuppressGCTransition]
    public static partial int TxBurstFast(ushort portId, ushort queue, PacketDescriptor** descriptors, ushort count, NativeBurstResult* result);

    // Mempool operations are lock-free ring and per-lcore cache operations: no system call, no blocking.
    [LibraryImport(Library, EntryPoint = "nf_alloc_burst")]
    [SuppressGCTransition]
    public static partial ushort AllocBurst(nint pool, PacketDescriptor** descriptors, ushort count);

    [LibraryImport(Library, EntryPoint = "nf_free_bulk")]
    [SuppressGCTransition]
    public static partial void FreeBulk(nint* mbufs, uint count);

    [LibraryImport(Library, EntryPoint = "nf_burst_data")]
    [SuppressGCTransition]
    public static partial void BurstData(nint* mbufs, ushort count, byte** data, ushort* lengths);

    /// DPDK's text for <paramref name="error"/> (a positive or negative errno, or an rte_errno value).
    public static string ErrorText(int error)
    {
        byte* buffer = stackalloc byte[256];
        StrError(error, buffer, 256);
        return Marshal.PtrToStringUTF8((nint)buffer) ?? $"error {error}";
    }
}
