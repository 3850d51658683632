using System.Runtime.InteropServices;

namespace NetFabric.Datapath.Buffers.Internal;

/// The native bookkeeping of one packet buffer, in front of its bytes. A <see cref="PacketBuffer"/> is a
/// pointer to one of these. Kept blittable and fixed-layout so a native port (DPDK) can host it in an mbuf's
/// private area and point <see cref="Buffer"/> at the mbuf's data room: the worker then sees mbufs as buffers.
/// The DPDK shim (native/netfabric_dpdk.h, struct nf_packet_descriptor) mirrors this layout field for field and
/// reports its offsets at load; change both together and bump the shim's ABI version.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct PacketDescriptor
{
    public const int StateFree = 0;
    public const int StateOwned = 1;

    /// Start of the buffer: headroom, then the frame at <see cref="DataOffset"/>.
    public byte* Buffer;
    /// The native object behind the buffer (an rte_mbuf*), or 0 for pool buffers.
    public nint Native;
    public int DataOffset;
    public int Length;
    public int Capacity;
    /// Index in the owning pool's descriptor array.
    public int Index;
    public int State;
    /// The owning pool's id; for a native buffer, the pool its clones are rented from.
    public ushort PoolId;
    public ushort Reserved;
    public uint InPort;
    public uint FlowHash;
    public ulong TunnelId;
    public uint TunnelSource;
    public uint TunnelDestination;
    public long Timestamp;
}
