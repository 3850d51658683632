using System.Diagnostics;
using NetFabric.Datapath.Capture;

namespace NetFabric.Datapath.Tests.Interop;

/// Every frame a NetFabric builder makes is decoded by Wireshark's dissectors (tshark), an implementation
/// no one here wrote: none may be malformed or raise an expert warning or error.
public class TsharkInteropTests
{
    // _ws.expert.severity values: 6291456 = warning, 8388608 = error (epan/proto.h PI_WARN / PI_ERROR).
    private const string ProblemFilter = "_ws.malformed || _ws.expert.severity >= 6291456";

    [Fact]
    public void Tshark_finds_no_malformed_frame_and_no_warning_in_any_builder_output()
    {
        var frames = BuilderFrames.All();
        string path = Path.Combine(Path.GetTempPath(), $"netfabric-builders-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = new PcapWriter(path))
                for (int i = 0; i < frames.Count; i++)
                    writer.Write(frames[i].Frame, 1_700_000_000_000_000_000L + i * 1_000_000L);

            // Every frame must decode at all (a sanity check that tshark read the file we think it read)...
            var all = Tshark.Run("-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.protocols");
            Assert.Equal(frames.Count, all.Count);
            Assert.Contains(all, line => line.Contains("vxlan"));
            Assert.Contains(all, line => line.Contains("geneve"));
            Assert.Contains(all, line => line.Contains("gre"));
            Assert.Contains(all, line => line.Contains("dhcp"));

            // ...and none may match the problem filter.
            var problems = Tshark.Run("-r", path, "-Y", ProblemFilter, "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message", "-e", "_ws.malformed");
            var named = problems.Select(line => $"{frames[int.Parse(line.Split('\t')[0]) - 1].Name}: {line}");
            Assert.True(problems.Count == 0, "tshark flagged:\n" + string.Join('\n', named));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// Runs tshark and returns its standard output lines; fails with a clear message when tshark is missing.
internal static class Tshark
{
    public static List<string> Run(params string[] arguments)
    {
        const string executable = "/usr/bin/tshark";
        Assert.True(File.Exists(executable), "tshark is not installed: run ./test.sh (it installs it) or apt-get install -y tshark");
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"tshark exited with {process.ExitCode}: {stderr.Result}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }
}
