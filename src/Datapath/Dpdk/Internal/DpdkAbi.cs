using System.Runtime.InteropServices;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Buffers.Internal;

namespace NetFabric.Datapath.Dpdk.Internal;

/// The contract between these bindings and the shim: the ABI version both were written for and the layout of
/// every structure they exchange. Checked once, when the shim is loaded; a mismatch refuses the shim with a
/// message naming each differing field (a descriptor misread by one field would corrupt packets silently).
internal static unsafe class DpdkAbi
{
    /// NF_DPDK_ABI_VERSION in native/netfabric_dpdk.h.
    public const uint Version = 2;

    /// The largest burst one shim call moves (NF_MAX_BURST).
    public const int MaximumBurst = PacketBatch.MaximumSize;

    /// One mirrored structure: its field names and, as the bindings see them, their offsets followed by its size.
    public sealed record Layout(string Name, string[] Fields, ushort[] Offsets);

    /// Asks the loaded shim for its ABI description.
    public static NativeAbi Read()
    {
        NativeAbi abi;
        DpdkNative.AbiGet(&abi);
        return abi;
    }

    /// The DPDK version string the shim reports (rte_version()).
    public static string DpdkVersionOf(NativeAbi abi) => Marshal.PtrToStringUTF8((nint)abi.DpdkVersion) ?? "";

    /// The managed side of the contract: each mirrored structure's offsets as this assembly lays it out.
    public static Layout[] ManagedLayouts()
    {
        PacketDescriptor d = default;
        NativeBurstResult r = default;
        NativePortStatistics s = default;
        NativeLink l = default;
        NativePortConfig c = default;
        NativePortInfo i = default;
        return
        [
            // Where an mbuf holds each field (the shim reports rte_mbuf's offsets, its dynamic field's and its private
            // area's), then the flag bits packed four bits apart, then the size of mbuf plus private area.
            new("PacketDescriptor",
                ["Buffer", "DataOffset", "PacketLength", "Length", "Capacity", "NativePool", "Next", "InPort", "Flags",
                 "FlowHash", "TunnelSource", "TunnelId", "TunnelDestination", "Timestamp", "(flag bits)", "(size)"],
                [Offset(&d, &d.Buffer), Offset(&d, &d.DataOffset), Offset(&d, &d.PacketLength), Offset(&d, &d.Length),
                 Offset(&d, &d.Capacity), Offset(&d, &d.NativePool), Offset(&d, &d.Next), Offset(&d, &d.InPort), Offset(&d, &d.Flags),
                 Offset(&d, &d.FlowHash), Offset(&d, &d.TunnelSource), Offset(&d, &d.TunnelId), Offset(&d, &d.TunnelDestination),
                 Offset(&d, &d.Timestamp),
                 (ushort)(PacketDescriptor.FlagOwned | PacketDescriptor.FlagFlowHash << 4 | PacketDescriptor.FlagTunnel << 8 | PacketDescriptor.FlagTimestamp << 12),
                 (ushort)sizeof(PacketDescriptor)]),
            new("BurstResult", ["Count", "Rejected", "Bytes", "(size)"],
                [Offset(&r, &r.Count), Offset(&r, &r.Rejected), Offset(&r, &r.Bytes), (ushort)sizeof(NativeBurstResult)]),
            new("PortStatistics", ["RxPackets", "TxPackets", "RxBytes", "TxBytes", "RxMissed", "RxErrors", "TxErrors", "RxNoMbuf", "(size)"],
                [Offset(&s, &s.RxPackets), Offset(&s, &s.TxPackets), Offset(&s, &s.RxBytes), Offset(&s, &s.TxBytes), Offset(&s, &s.RxMissed),
                 Offset(&s, &s.RxErrors), Offset(&s, &s.TxErrors), Offset(&s, &s.RxNoMbuf), (ushort)sizeof(NativePortStatistics)]),
            new("Link", ["SpeedMbps", "Up", "FullDuplex", "Autoneg", "Reserved", "(size)"],
                [Offset(&l, &l.SpeedMbps), Offset(&l, &l.Up), Offset(&l, &l.FullDuplex), Offset(&l, &l.Autoneg), Offset(&l, &l.Reserved), (ushort)sizeof(NativeLink)]),
            new("PortConfig", ["Queues", "RxDescriptors", "TxDescriptors", "Promiscuous", "Reserved", "(size)"],
                [Offset(&c, &c.Queues), Offset(&c, &c.RxDescriptors), Offset(&c, &c.TxDescriptors), Offset(&c, &c.Promiscuous), Offset(&c, &c.Reserved), (ushort)sizeof(NativePortConfig)]),
            new("PortInfo", ["SocketId", "PortId", "MaxRxQueues", "MaxTxQueues", "RxDescriptors", "TxDescriptors", "Mac", "Rss", "Promiscuous", "DriverName", "(size)"],
                [Offset(&i, &i.SocketId), Offset(&i, &i.PortId), Offset(&i, &i.MaxRxQueues), Offset(&i, &i.MaxTxQueues), Offset(&i, &i.RxDescriptors),
                 Offset(&i, &i.TxDescriptors), Offset(&i, i.Mac), Offset(&i, &i.Rss), Offset(&i, &i.Promiscuous), Offset(&i, i.DriverName), (ushort)sizeof(NativePortInfo)]),
        ];
    }

    /// The same structures as the shim reports them, in the order of <see cref="ManagedLayouts"/>.
    public static ushort[][] NativeLayouts(NativeAbi abi) =>
    [
        new ReadOnlySpan<ushort>(abi.Descriptor, 16).ToArray(),
        new ReadOnlySpan<ushort>(abi.BurstResult, 4).ToArray(),
        new ReadOnlySpan<ushort>(abi.PortStatistics, 9).ToArray(),
        new ReadOnlySpan<ushort>(abi.Link, 6).ToArray(),
        new ReadOnlySpan<ushort>(abi.PortConfig, 6).ToArray(),
        new ReadOnlySpan<ushort>(abi.PortInfo, 11).ToArray(),
    ];

    /// Every way <paramref name="abi"/> differs from what these bindings expect; empty when the shim fits.
    public static List<string> Mismatches(NativeAbi abi)
    {
        var problems = new List<string>();
        if (abi.AbiVersion != Version)
            problems.Add($"ABI version: the shim is {abi.AbiVersion}, these bindings need {Version}");
        if (abi.AbiSize != (uint)sizeof(NativeAbi))
        {
            // The rest cannot be read reliably.
            problems.Add($"ABI description size: the shim's is {abi.AbiSize} bytes, these bindings expect {sizeof(NativeAbi)}");
            return problems;
        }
        if (abi.MaxBurst < MaximumBurst)
            problems.Add($"maximum burst: the shim moves {abi.MaxBurst} packets a call, these bindings need {MaximumBurst}");
        if (abi.PrivSize != sizeof(PacketDescriptor) - PacketDescriptor.ExtensionOffset)
            problems.Add($"mbuf private area: the shim gives mbufs {abi.PrivSize} bytes, these bindings need {sizeof(PacketDescriptor) - PacketDescriptor.ExtensionOffset} after the 128-byte rte_mbuf");
        var managed = ManagedLayouts();
        var native = NativeLayouts(abi);
        for (int s = 0; s < managed.Length; s++)
        {
            for (int f = 0; f < managed[s].Offsets.Length; f++)
            {
                if (native[s][f] != managed[s].Offsets[f])
                    problems.Add($"{managed[s].Name}.{managed[s].Fields[f]}: the shim has {native[s][f]}, these bindings {managed[s].Offsets[f]}");
            }
        }
        return problems;
    }

    private static ushort Offset(void* structure, void* field) => (ushort)((byte*)field - (byte*)structure);
}
