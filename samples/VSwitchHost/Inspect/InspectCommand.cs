using NetFabric.Datapath.Capture;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Samples.VSwitchHost.Inspect;

/// <summary>
/// <c>inspect FILE</c>: prints each frame of a capture as one tcpdump-style line followed by its flow
/// key, then a count of malformed frames. Exit code 0 on success, 2 when the file cannot be read as a capture.
/// </summary>
public static class InspectCommand
{
    /// <summary>Exit code for a path that does not exist or a file that is not pcap/pcapng.</summary>
    public const int BadInput = 2;

    /// <summary>Runs the command, writing frames to <paramref name="output"/> and errors to <paramref name="error"/>.</summary>
    public static int Run(string path, TextWriter output, TextWriter error)
    {
        CaptureReader reader;
        try
        {
            reader = CaptureReader.Open(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"inspect: {OneLine(e, path)}");
            return BadInput;
        }

        using (reader)
        {
            var buffer = new byte[CaptureBufferSize];
            long frames = 0, malformed = 0;
            try
            {
                while (reader.TryRead(buffer, out var record))
                {
                    frames++;
                    var frame = buffer.AsSpan(0, Math.Min(record.CapturedLength, buffer.Length));
                    output.Write(record.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss.ffffff ", System.Globalization.CultureInfo.InvariantCulture));
                    if (record.LinkType != LinkType.Ethernet)
                    {
                        output.WriteLine($"link type {record.LinkType} not decoded, length {record.OriginalLength}");
                        continue;
                    }
                    bool snapped = record.CapturedLength < record.OriginalLength;
                    bool ok = FrameSummary.TryDescribe(frame, record.OriginalLength, out string line);
                    output.WriteLine(line);
                    FlowKey.Extract(frame, (uint)record.InterfaceId, out var key);
                    output.WriteLine($"    key: {key}");
                    // What a host terminating the tunnel would key on after decapsulation.
                    if (TunnelFrames.TryDecapsulate(frame, out _, out var tunnel, out int innerOffset, out int innerLength))
                    {
                        FlowKey.Extract(frame.Slice(innerOffset, innerLength), (uint)record.InterfaceId, tunnel, out var innerKey);
                        output.WriteLine($"    inner key: {innerKey}");
                    }
                    // A frame cut short by the capture's snap length is not malformed: the sender sent it whole.
                    if (!ok || (key.Malformed && !snapped)) malformed++;
                }
            }
            catch (CaptureFormatException e)
            {
                error.WriteLine($"inspect: {OneLine(e, path)}");
                return BadInput;
            }
            string truncated = reader.Truncated ? " (the file ends inside a record)" : "";
            output.WriteLine($"{frames} frames, {malformed} malformed{truncated}");
        }
        return 0;
    }

    // Larger than any record the reader accepts, so no frame is cut here.
    private const int CaptureBufferSize = 256 * 1024;

    private static string OneLine(Exception e, string path) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => $"'{path}' does not exist.",
        _ => e.Message.ReplaceLineEndings(" "),
    };
}
