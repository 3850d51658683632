using NetFabric.Samples.VSwitchHost.Inspect;
using NetFabric.Testing;

namespace NetFabric.Samples.VSwitchHost.Tests;

public class InspectCommandTests
{
    private static string RepositoryFile(params string[] parts) => RepositoryPaths.File(parts);

    private static (int ExitCode, string Output, string Error) Inspect(string path)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = InspectCommand.Run(path, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void Shipped_sample_prints_a_line_and_a_key_per_frame_and_no_malformed_frame()
    {
        var (exitCode, output, error) = Inspect(RepositoryFile("samples", "data", "sample.pcap"));

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int frames = lines.Count(line => line.StartsWith("    key: ", StringComparison.Ordinal));
        Assert.True(frames >= 20, $"expected the sample's frames, got {frames}");
        Assert.Equal($"{frames} frames, 0 malformed", lines[^1]);
        Assert.Contains(lines, line => line.Contains("Request who-has 198.18.0.1 tell 198.18.0.10", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("VXLAN, vni 5001: 02:00:00:00:00:0a > 02:00:00:00:00:0b", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("GRE, key 0x1234: ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("vlan 20, p 0", StringComparison.Ordinal) && line.Contains("vlan 300", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("DHCP-Discover", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("key: in_port=0,dl_src=02:00:00:00:00:0a,dl_dst=02:00:00:00:00:0b,dl_type=0x0800,nw_src=198.18.0.10,nw_dst=198.18.1.11,nw_proto=17", StringComparison.Ordinal));
    }

    [Fact]
    public void Truncated_and_malformed_frames_are_counted()
    {
        string path = Path.Combine(Path.GetTempPath(), $"netfabric-inspect-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = new NetFabric.Datapath.Capture.PcapWriter(path))
            {
                var frame = new byte[60];
                frame[12] = 0x08; // IPv4 EtherType followed by a header with version 0
                writer.Write(frame, 0);
                writer.Write(frame.AsSpan(0, 10), 1);
            }
            var (exitCode, output, _) = Inspect(path);
            Assert.Equal(0, exitCode);
            Assert.EndsWith("2 frames, 2 malformed\n", output.ReplaceLineEndings("\n"));
            Assert.Contains("[malformed IPv4 header]", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_path_is_one_line_and_exit_code_2()
    {
        var (exitCode, output, error) = Inspect("/nonexistent/netfabric.pcap");
        Assert.Equal(InspectCommand.BadInput, exitCode);
        Assert.Equal("", output);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("/nonexistent/netfabric.pcap", error);
    }

    [Fact]
    public void A_file_that_is_not_a_capture_is_one_line_and_exit_code_2()
    {
        var (exitCode, _, error) = Inspect(RepositoryFile("README.md"));
        Assert.Equal(InspectCommand.BadInput, exitCode);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("not a pcap or pcapng file", error);
    }
}
