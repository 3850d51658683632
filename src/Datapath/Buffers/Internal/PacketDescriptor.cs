using System.Runtime.InteropServices;

namespace NetFabric.Datapath.Buffers.Internal;

/// The native bookkeeping of one packet buffer. A <see cref="PacketBuffer"/> is a pointer to one of these.
///
/// Its first 128 bytes are laid out as DPDK's struct rte_mbuf (22.11 and later, 64-bit), so that for a DPDK
/// port the mbuf itself is the descriptor: receiving and transmitting need no per-packet translation, and the
/// fields the datapath touches sit in the mbuf's first cache line, which the driver has just touched. Only the
/// mbuf fields NetFabric uses are declared; the bytes between them belong to DPDK in an mbuf and are unused in a
/// <see cref="PacketPool"/> buffer, except where noted. NetFabric's own per-packet fields are
///  - <see cref="InPort"/> and <see cref="Flags"/>: 8 bytes at offset 120, which the DPDK shim registers as a
///    dynamic mbuf field at that fixed offset (the end of rte_mbuf's dynfield1 area, where drivers that register
///    their own fields at probe time do not land: they take the lowest free offset);
///  - the extension from offset 128 (an mbuf's private area): flow hash, tunnel and timestamp. These are valid
///    only while their bit in <see cref="Flags"/> is set, so receiving a packet clears them all with one store.
/// The DPDK shim (native/netfabric_dpdk.h) reports rte_mbuf's offsets, the dynamic field's offset and the
/// extension's layout at load, and the bindings refuse a shim whose layout differs (DpdkAbi). Change both together
/// and bump the shim's ABI version.
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal unsafe struct PacketDescriptor
{
    /// Bytes of one descriptor: three cache lines, so a pool's descriptors stay line-aligned (an mbuf's private area takes the last 64).
    public const int Size = 192;
    /// Where the extension starts: sizeof(struct rte_mbuf); an mbuf's private area.
    public const int ExtensionOffset = 128;

    /// The buffer is owned by a stage of the datapath (rented, received); cleared when it is released. A DPDK
    /// transmit leaves it set (clearing it would cost a store per packet): a release after a transmit goes unnoticed.
    public const uint FlagOwned = 1;
    /// <see cref="FlowHash"/> holds a value.
    public const uint FlagFlowHash = 2;
    /// <see cref="TunnelId"/>, <see cref="TunnelSource"/> and <see cref="TunnelDestination"/> hold a tunnel.
    public const uint FlagTunnel = 4;
    /// <see cref="Timestamp"/> holds a value.
    public const uint FlagTimestamp = 8;

    /// Start of the buffer: headroom, then the frame at <see cref="DataOffset"/> (rte_mbuf.buf_addr).
    [FieldOffset(0)] public byte* Buffer;
    /// Pool buffers only: index in the owning pool's descriptor array (DPDK's buf_iova in an mbuf).
    [FieldOffset(8)] public int Index;
    /// Pool buffers only: the owning pool's id (inside DPDK's buf_iova in an mbuf).
    [FieldOffset(12)] public ushort PoolId;
    /// Where the frame starts in the buffer (rte_mbuf.data_off).
    [FieldOffset(16)] public ushort DataOffset;
    /// The frame's length, kept equal to <see cref="Length"/> (rte_mbuf.pkt_len: one segment, so the same).
    [FieldOffset(36)] public uint PacketLength;
    /// The frame's length (rte_mbuf.data_len).
    [FieldOffset(40)] public ushort Length;
    /// The buffer's size, headroom included (rte_mbuf.buf_len).
    [FieldOffset(54)] public ushort Capacity;
    /// The DPDK mempool an mbuf belongs to (rte_mbuf.pool); 0 for pool buffers. What tells the two apart.
    [FieldOffset(56)] public nint NativePool;
    /// The next segment (rte_mbuf.next): always 0, NetFabric handles single-segment frames only.
    [FieldOffset(64)] public nint Next;
    /// The port the packet arrived on (NetFabric's dynamic mbuf field, first half).
    [FieldOffset(120)] public uint InPort;
    /// FlagOwned and the validity bits of the extension (NetFabric's dynamic mbuf field, second half).
    [FieldOffset(124)] public uint Flags;
    [FieldOffset(128)] public uint FlowHash;
    [FieldOffset(132)] public uint TunnelSource;
    [FieldOffset(136)] public ulong TunnelId;
    [FieldOffset(144)] public uint TunnelDestination;
    [FieldOffset(152)] public long Timestamp;

    /// True for a buffer that is a DPDK mbuf rather than a <see cref="PacketPool"/> buffer.
    public readonly bool IsNative => NativePool != 0;
}
