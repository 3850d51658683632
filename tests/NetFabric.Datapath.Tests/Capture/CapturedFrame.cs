using NetFabric.Datapath.Capture;

namespace NetFabric.Datapath.Tests.Capture;

/// A frame with its capture time: the model the properties generate and files are built from.
public sealed record CapturedFrame(byte[] Bytes, long TimestampNanoseconds)
{
    public override string ToString() => $"{Bytes.Length} bytes at {TimestampNanoseconds} ns";
}

/// What a reader returned for one record: its metadata and the bytes copied out.
internal sealed record ReadFrame(CaptureRecord Record, byte[] Bytes);

internal static class CaptureFiles
{
    public const int LargestRecord = 262144;

    public static void Write(string path, IEnumerable<CapturedFrame> frames,
        CaptureByteOrder byteOrder = CaptureByteOrder.LittleEndian,
        TimestampResolution resolution = TimestampResolution.Microseconds)
    {
        using var writer = new PcapWriter(path, LinkType.Ethernet, resolution, byteOrder);
        foreach (CapturedFrame frame in frames)
            writer.Write(frame.Bytes, frame.TimestampNanoseconds);
    }

    public static List<ReadFrame> ReadAll(CaptureReader reader)
    {
        var frames = new List<ReadFrame>();
        var buffer = new byte[LargestRecord];
        while (reader.TryRead(buffer, out CaptureRecord record))
            frames.Add(new ReadFrame(record, buffer.AsSpan(0, Math.Min(record.CapturedLength, buffer.Length)).ToArray()));
        return frames;
    }

    public static List<ReadFrame> ReadAll(string path)
    {
        using CaptureReader reader = CaptureReader.Open(path);
        return ReadAll(reader);
    }
}
