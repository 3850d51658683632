using NetFabric.Samples.VSwitchHost.Run;
using NetFabric.Testing;

namespace NetFabric.Samples.VSwitchHost.Tests;

public class RunCommandTests
{
    private static (int ExitCode, string Error) RunBriefly(string topology, params string[] ports)
    {
        var error = new StringWriter();
        int exitCode = RunCommand.Run(topology, ports, 1, TimeSpan.FromSeconds(1), TextWriter.Null, error, new CancellationToken(canceled: true));
        return (exitCode, error.ToString());
    }

    [Fact]
    public void Bad_port_specifications_are_one_line_and_exit_code_2()
    {
        string topology = RepositoryPaths.File("samples", "data", "two-bridges.yaml");
        var (exitCode, error) = RunBriefly(topology, "vm1-tap");
        Assert.Equal(RunCommand.BadInput, exitCode);
        Assert.Contains("is not NAME=afpacket:IFACE", error);
        (exitCode, error) = RunBriefly(topology, "nope=afpacket:eth9");
        Assert.Equal(RunCommand.BadInput, exitCode);
        Assert.Contains("no exterior port of the topology is bound to 'nope'", error);
        (exitCode, error) = RunBriefly(RepositoryPaths.File("samples", "data", "missing.yaml"), "vm1-tap=afpacket:eth9");
        Assert.Equal(RunCommand.BadInput, exitCode);
        Assert.Contains("missing.yaml", error);
    }

    [Fact]
    public async Task Run_forwards_kernel_ping_between_two_namespaces_until_cancelled()
    {
        NetworkNamespaces.SkipUnlessRoot();
        var output = await PingThroughRun((tapA, tapB) => [$"vm-a=afpacket:{tapA}", $"vm-b=afpacket:{tapB}"], dpdkArguments: null, startup: TimeSpan.FromMilliseconds(500));
        Assert.Contains("NetFabric: running", output);
        Assert.Contains("vm-a rx", output);
    }

    /// <summary>
    /// Two namespaces on one bridge, their host-side veth ends bound by <paramref name="ports"/>: runs the command,
    /// pings vm-b from vm-a, stops it, asserts the ping and the clean exit, and returns what the command printed.
    /// </summary>
    internal static async Task<string> PingThroughRun(Func<string, string, string[]> ports, string? dpdkArguments, TimeSpan startup)
    {
        using var net = new NetworkNamespaces();
        string a = net.Name("a"), b = net.Name("b"), tapA = net.Name("a0"), tapB = net.Name("b0");
        net.CreateHost(a, tapA, net.Name("a1"), "198.18.0.1/24", "02:00:00:00:00:01");
        net.CreateHost(b, tapB, net.Name("b1"), "198.18.0.2/24", "02:00:00:00:00:02");
        string topology = Path.Combine(Path.GetTempPath(), $"netfabric-run-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(topology, "bridges:\n  - name: br\n    ports:\n      - { name: a, exterior: vm-a }\n      - { name: b, exterior: vm-b }\n", TestContext.Current.CancellationToken);
        using var stop = new CancellationTokenSource();
        var output = new StringWriter();
        var error = new StringWriter();
        try
        {
            var running = Task.Run(() => RunCommand.Run(topology, ports(tapA, tapB), 1, TimeSpan.FromMilliseconds(200), output, error, stop.Token, dpdkArguments),
                TestContext.Current.CancellationToken);
            await Task.Delay(startup, TestContext.Current.CancellationToken);
            Assert.False(running.IsCompleted, $"run stopped early: {error}");
            var ping = net.TryExec(a, "ping", "-c", "3", "-i", "0.2", "-W", "2", "198.18.0.2");
            stop.Cancel();
            int exitCode = await running;
            Assert.True(ping.ExitCode == 0, $"{ping.StandardOutput}\n{error}\n{output}");
            Assert.Equal(0, exitCode);
            return output.ToString();
        }
        finally
        {
            stop.Cancel();
            File.Delete(topology);
        }
    }
}
