using System.Diagnostics.CodeAnalysis;

namespace NetFabric.Datapath.Capture.Internal;

/// Cold-path throws of the capture readers and writer, kept out of the decode loops so those stay
/// small (the pattern System.IO.Pipelines uses). Every message is one line naming the file.
internal static class CaptureThrowHelper
{
    [DoesNotReturn]
    public static void FileMissing(string fileName, Exception inner) =>
        throw new CaptureFormatException(fileName, -1, $"'{fileName}' cannot be read: the file does not exist.", inner);

    [DoesNotReturn]
    public static void AccessDenied(string fileName, Exception inner) =>
        throw new CaptureFormatException(fileName, -1, $"'{fileName}' cannot be read: access is denied.", inner);

    [DoesNotReturn]
    public static void NotACaptureFile(string fileName, uint magic) =>
        throw new CaptureFormatException(fileName, -1, $"'{fileName}' is not a pcap or pcapng file (magic 0x{magic:x8}).");

    [DoesNotReturn]
    public static void TooShort(string fileName, long length) =>
        throw new CaptureFormatException(fileName, -1, $"'{fileName}' is not a pcap or pcapng file (only {length} bytes long).");

    [DoesNotReturn]
    public static void Malformed(string fileName, long offset, string detail) =>
        throw new CaptureFormatException(fileName, offset, $"'{fileName}' is malformed at offset {offset}: {detail}.");

    [DoesNotReturn]
    public static void LengthTooLarge(string fileName, long offset, string field, ulong length, long limit) =>
        Malformed(fileName, offset, $"{field} {length} exceeds the limit of {limit} bytes");

    [DoesNotReturn]
    public static void LengthBeyondBlock(string fileName, long offset, string field, ulong length, long blockLength) =>
        Malformed(fileName, offset, $"{field} {length} does not fit in a block of {blockLength} bytes");

    [DoesNotReturn]
    public static void ArgumentOutOfRange(string name, string message) =>
        throw new ArgumentOutOfRangeException(name, message);

    [DoesNotReturn]
    public static void ObjectDisposed(object instance) =>
        throw new ObjectDisposedException(instance.GetType().FullName);
}
