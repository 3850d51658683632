using System.Runtime.InteropServices;

namespace NetFabric.Datapath.Dpdk.Internal;

// Mirrors of the structures in native/netfabric_dpdk.h, field for field. DpdkAbi compares their offsets with the
// ones the loaded shim reports, so a shim built from other headers is refused instead of misread.

/// struct nf_abi: the shim's ABI version, DPDK's version, and the layouts it was compiled with (offsets of each
/// field in declaration order, then the size).
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeAbi
{
    public uint AbiVersion;
    public uint AbiSize;
    public fixed byte DpdkVersion[64];
    public ushort MbufHeadroom;
    public ushort PrivSize;
    public ushort MaxBurst;
    public ushort MaxLcores;
    public fixed ushort Descriptor[16];
    public fixed ushort BurstResult[4];
    public fixed ushort PortStatistics[9];
    public fixed ushort Link[6];
    public fixed ushort PortConfig[6];
    public fixed ushort PortInfo[11];
}

/// struct nf_burst_result.
[StructLayout(LayoutKind.Sequential)]
internal struct NativeBurstResult
{
    public uint Count;
    public uint Rejected;
    public ulong Bytes;
}

/// struct nf_port_stats.
[StructLayout(LayoutKind.Sequential)]
internal struct NativePortStatistics
{
    public ulong RxPackets;
    public ulong TxPackets;
    public ulong RxBytes;
    public ulong TxBytes;
    public ulong RxMissed;
    public ulong RxErrors;
    public ulong TxErrors;
    public ulong RxNoMbuf;
}

/// struct nf_link.
[StructLayout(LayoutKind.Sequential)]
internal struct NativeLink
{
    public uint SpeedMbps;
    public byte Up;
    public byte FullDuplex;
    public byte Autoneg;
    public byte Reserved;
}

/// struct nf_port_config.
[StructLayout(LayoutKind.Sequential)]
internal struct NativePortConfig
{
    public ushort Queues;
    public ushort RxDescriptors;
    public ushort TxDescriptors;
    public byte Promiscuous;
    public byte Reserved;
}

/// struct nf_port_info.
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativePortInfo
{
    public int SocketId;
    public ushort PortId;
    public ushort MaxRxQueues;
    public ushort MaxTxQueues;
    public ushort RxDescriptors;
    public ushort TxDescriptors;
    public fixed byte Mac[6];
    public byte Rss;
    public byte Promiscuous;
    public fixed byte DriverName[32];
}
