using NetFabric.Samples.VSwitchHost.Trace;
using NetFabric.Testing;

namespace NetFabric.Samples.VSwitchHost.Tests;

public class TraceCommandTests
{
    // An Ethernet broadcast ARP request from 02:00:00:00:00:01 (42 bytes).
    private const string ArpRequest = "ffffffffffff02000000000108060001080006040001020000000001c6120001000000000000c6120002";

    private static (int ExitCode, string Output, string Error) Trace(string inPort, string? frame, string topology = "two-bridges.yaml")
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = TraceCommand.Run(RepositoryPaths.File("samples", "data", topology), inPort, frame, null, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void A_broadcast_from_vm1_is_traced_through_both_bridges_to_every_other_vm()
    {
        var (exitCode, output, error) = Trace("vm1-tap", ArpRequest);
        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        Assert.Contains("br1 (ingress port br1/vm1)", output);
        Assert.Contains("br2 (ingress port br2/downlink)", output);
        Assert.Contains("Datapath actions: output:2,output:3,output:4", output);
        Assert.Contains("arp_op=1", output);
    }

    [Fact]
    public void An_unknown_port_or_bad_hex_is_one_line_and_exit_code_2()
    {
        var (exitCode, _, error) = Trace("nope", ArpRequest);
        Assert.Equal(TraceCommand.BadInput, exitCode);
        Assert.Contains("'nope' is not an exterior port", error);
        (exitCode, _, error) = Trace("vm1-tap", "zz");
        Assert.Equal(TraceCommand.BadInput, exitCode);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_topology_file_with_errors_is_rejected_with_the_file_named()
    {
        var (exitCode, _, error) = Trace("vm1-tap", ArpRequest, topology: "sample.pcap");
        Assert.Equal(TraceCommand.BadInput, exitCode);
        Assert.Contains("sample.pcap", error);
    }
}
