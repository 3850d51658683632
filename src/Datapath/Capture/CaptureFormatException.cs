namespace NetFabric.Datapath.Capture;

/// <summary>
/// A capture file cannot be opened or is not a well-formed pcap or pcapng file. The message is
/// one line naming the file and, for a malformed record, the byte offset of the offending header.
/// Readers throw only this type for bad input: never an index or argument exception.
/// </summary>
/// <remarks>
/// An <see cref="IOException"/> (rather than <see cref="InvalidDataException"/>, which is sealed)
/// so that one catch covers both a missing file and a malformed one.
/// </remarks>
public sealed class CaptureFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="fileName"/>.</summary>
    /// <param name="fileName">The file path (or stream description) that was being read.</param>
    /// <param name="offset">Byte offset of the malformed structure, or -1 when it is not about one place in the file.</param>
    /// <param name="message">The full one-line message.</param>
    /// <param name="innerException">The I/O error that caused this one, if any.</param>
    public CaptureFormatException(string fileName, long offset, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FileName = fileName;
        Offset = offset;
    }

    /// <summary>The file path (or stream description) that was being read.</summary>
    public string FileName { get; }

    /// <summary>Byte offset of the malformed structure, or -1 when the problem is not at one place (missing file, bad magic).</summary>
    public long Offset { get; }
}
