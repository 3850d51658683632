using NetFabric.Datapath.Buffers.Internal;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Dpdk.Internal;

namespace NetFabric.Datapath.Tests.Dpdk;

/// The shim reports the layouts it was compiled with; these must be the managed mirrors' (the descriptor especially:
/// a field misread by the shim would corrupt packets without any error).
[Collection("Dpdk")]
public class DpdkAbiTests
{
    private static NativeAbi LoadShim()
    {
        try
        {
            DpdkNativeLibrary.EnsureLoaded(null, searchDefaults: true);
        }
        catch (DpdkUnavailableException e)
        {
            Assert.Skip("The DPDK shim is not available: " + e.Message);
        }
        return DpdkNativeLibrary.Abi;
    }

    [Fact]
    public unsafe void The_offsets_the_shim_reports_match_the_managed_structures()
    {
        var abi = LoadShim();

        Assert.Equal(DpdkAbi.Version, abi.AbiVersion);
        Assert.Equal((uint)sizeof(NativeAbi), abi.AbiSize);
        var managed = DpdkAbi.ManagedLayouts();
        var native = DpdkAbi.NativeLayouts(abi);
        Assert.Equal(managed.Length, native.Length);
        for (int i = 0; i < managed.Length; i++)
            Assert.True(managed[i].Offsets.SequenceEqual(native[i]),
                $"{managed[i].Name}: managed [{string.Join(", ", managed[i].Offsets)}], shim [{string.Join(", ", native[i])}]");
        Assert.Empty(DpdkAbi.Mismatches(abi));
        // The descriptor is a 128-byte rte_mbuf followed by its private area, which DPDK wants 8-byte aligned.
        Assert.Equal(sizeof(PacketDescriptor), native[0][^1]);
        Assert.Equal(sizeof(PacketDescriptor) - 128, abi.PrivSize);
        Assert.Equal(0, abi.PrivSize % 8);
        Assert.Equal(128, abi.MbufHeadroom);
        Assert.StartsWith("DPDK ", DpdkAbi.DpdkVersionOf(abi));
    }

    [Fact]
    public unsafe void A_shim_whose_descriptor_differs_is_refused_with_the_field_named()
    {
        var abi = LoadShim();
        abi.Descriptor[3] += 4; // Length (rte_mbuf.data_len)
        abi.PortStatistics[8] -= 8; // the statistics' size

        var problems = DpdkAbi.Mismatches(abi);

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("PacketDescriptor.Length: the shim has 44, these bindings 40", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("PortStatistics.(size)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_shim_of_another_abi_version_is_refused()
    {
        var abi = LoadShim();
        abi.AbiVersion = DpdkAbi.Version + 1;

        Assert.Contains(DpdkAbi.Mismatches(abi), p => p.StartsWith("ABI version", StringComparison.Ordinal));
    }
}
