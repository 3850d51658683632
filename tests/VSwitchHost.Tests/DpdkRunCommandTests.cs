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
        using var net = new NetworkNamespaces();
        string a = net.Name("a"), b = net.Name("b"), tapA = net.Name("a0"), tapB = net.Name("b0");
        net.CreateHost(a, tapA, net.Name("a1"), "198.18.0.1/24", "02:00:00:00:00:01");
        net.CreateHost(b, tapB, net.Name("b1"), "198.18.0.2/24", "02:00:00:00:00:02");
        string topology = Path.Combine(Path.GetTempPath(), $"netfabric-dpdk-run-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(topology, "bridges:\n  - name: br\n    ports:\n      - { name: a, exterior: vm-a }\n      - { name: b, exterior: vm-b }\n", TestContext.Current.CancellationToken);
        using var stop = new CancellationTokenSource();
        var output = new StringWriter();
        var error = new StringWriter();
        try
        {
            var running = Task.Run(() => RunCommand.Run(topology,
                [$"vm-a=dpdk:net_af_packet_a,iface={tapA}", $"vm-b=dpdk:net_af_packet_b,iface={tapB}"], 1, TimeSpan.FromMilliseconds(200),
                output, error, stop.Token, "--no-huge -m 256"), TestContext.Current.CancellationToken);
            await Task.Delay(1500, TestContext.Current.CancellationToken);
            Assert.False(running.IsCompleted, $"run stopped early: {error}");
            var ping = net.TryExec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "198.18.0.2");
            stop.Cancel();
            int exitCode = await running;
            Assert.True(ping.ExitCode == 0, $"{ping.StandardOutput}\n{ping.StandardError}\n{error}\n{output}");
            Assert.Equal(0, exitCode);
            Assert.Contains("vm-a=dpdk:net_af_packet_a", output.ToString());
            Assert.Contains("vm-b rx", output.ToString());
        }
        finally
        {
            stop.Cancel();
            File.Delete(topology);
        }
    }
}
