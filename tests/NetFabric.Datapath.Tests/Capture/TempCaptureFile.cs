namespace NetFabric.Datapath.Tests.Capture;

/// A uniquely named file under the system temp folder, deleted on dispose.
internal sealed class TempCaptureFile : IDisposable
{
    public TempCaptureFile(string extension = ".pcap")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"netfabric-{Guid.NewGuid():N}{extension}");
    }

    public string Path { get; }

    public static TempCaptureFile WithBytes(ReadOnlySpan<byte> bytes, string extension = ".pcap")
    {
        var file = new TempCaptureFile(extension);
        File.WriteAllBytes(file.Path, bytes.ToArray());
        return file;
    }

    public void Dispose()
    {
        if (File.Exists(Path))
            File.Delete(Path);
    }
}
