using NetFabric.Samples.VSwitchHost.Run;
using NetFabric.Testing;

namespace NetFabric.Samples.VSwitchHost.Tests;

/// The sample host on DPDK ports: argument handling, and kernel ping between two namespaces through net_af_packet.
public class DpdkRunCommandTests
{
    [Fact]
    public void Dpdk_arguments_map_onto_runtime_options_and_keep_the_rest()
    {
        var options = DpdkArguments.Parse("--no-huge -m 256 -l 0 --file-prefix=nf-test --vdev net_null0 --log-level=eal,8 -a 0000:03:00.0",
            ["0000:04:00.0"], out string? error);
        Assert.Null(error);
        Assert.NotNull(options);
        Assert.True(options.NoHugePages);
        Assert.Equal(256, options.MemoryMegabytes);
        Assert.Equal("0", options.Cores);
        Assert.Equal("nf-test", options.FilePrefix);
        Assert.Equal(["net_null0"], options.VirtualDevices);
        Assert.Equal(["0000:04:00.0", "0000:03:00.0"], options.PciDevices);
        Assert.Equal(["--log-level=eal,8"], options.ExtraArguments);

        Assert.Null(DpdkArguments.Parse("-m lots", [], out error));
        Assert.Contains("'-m' needs a memory size", error);
        Assert.True(DpdkArguments.IsPciAddress("0000:03:00.0"));
        Assert.False(DpdkArguments.IsPciAddress("net_af_packet0,iface=eth1"));
    }

    [Fact]
    public void A_port_spec_of_an_unknown_kind_is_refused_in_one_line()
    {
        var error = new StringWriter();
        int exitCode = RunCommand.Run(RepositoryPaths.File("samples", "data", "two-bridges.yaml"), ["vm1-tap=pcie:0000:03:00.0"], 1,
            TimeSpan.FromSeconds(1), TextWriter.Null, error, new CancellationToken(canceled: true));
        Assert.Equal(RunCommand.BadInput, exitCode);
        Assert.Contains("is not NAME=afpacket:IFACE or NAME=dpdk:DEVARGS", error.ToString());
    }

    [Fact]
    public async Task Kernel_ping_crosses_a_bridge_on_DPDK_af_packet_ports()
    {
        NetworkNamespaces.SkipUnlessRoot();
        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "libnetfabric_dpdk.so")))
            Assert.Skip("The DPDK shim was not built (install dpdk libdpdk-dev cmake pkg-config and rebuild).");
        var output = await RunCommandTests.PingThroughRun(
            (tapA, tapB) => [$"vm-a=dpdk:net_af_packet_a,iface={tapA}", $"vm-b=dpdk:net_af_packet_b,iface={tapB}"],
            dpdkArguments: "--no-huge -m 256", startup: TimeSpan.FromMilliseconds(1500));
        Assert.Contains("vm-a=dpdk:net_af_packet_a", output);
        Assert.Contains("vm-b rx", output);
    }
}
