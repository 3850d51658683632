using System.Buffers;

namespace NetFabric.Datapath.Capture.Internal;

/// Turns the bytes buffered by the pipe into records, one format per subclass. A decoder never
/// reads the stream itself: <see cref="CaptureReader"/> feeds it whatever the pipe holds and it
/// either decodes one record or reports that it needs more bytes, so the same code serves the
/// synchronous and the asynchronous read paths.
internal abstract class CaptureDecoder(string fileName, long position)
{
    protected string FileName { get; } = fileName;

    /// File offset of the first byte not yet consumed; error messages name offsets from it.
    public long Position { get; private set; } = position;

    /// Bytes of the current block still to discard (pcapng options and trailers, unknown blocks)
    /// before the next header. Non-zero when the file ends means the last block was cut short.
    public long PendingSkip { get; protected set; }

    /// Decodes the next record from the front of <paramref name="buffer"/>, copying at most
    /// destination.Length packet bytes, and slices off everything consumed. Returns false when
    /// the buffer ends before a whole record: the caller reads more and calls again with the
    /// remaining bytes. Throws <see cref="CaptureFormatException"/> for malformed headers.
    public abstract bool TryDecode(ref ReadOnlySequence<byte> buffer, Span<byte> destination, out CaptureRecord record);

    protected void Consume(ref ReadOnlySequence<byte> buffer, long length)
    {
        buffer = buffer.Slice(length);
        Position += length;
    }

    /// Discards as much of <see cref="PendingSkip"/> as is buffered; true when none is left.
    protected bool SkipPending(ref ReadOnlySequence<byte> buffer)
    {
        if (PendingSkip == 0)
            return true;
        long length = Math.Min(PendingSkip, buffer.Length);
        Consume(ref buffer, length);
        PendingSkip -= length;
        return PendingSkip == 0;
    }

    /// The first <paramref name="header"/>.Length bytes of the buffer, without copying when the
    /// first segment holds them (the common case: only headers straddling a segment are copied).
    protected static ReadOnlySpan<byte> Peek(in ReadOnlySequence<byte> buffer, Span<byte> header)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= header.Length)
            return first[..header.Length];
        buffer.Slice(0, header.Length).CopyTo(header);
        return header;
    }

    protected static void CopyPacket(in ReadOnlySequence<byte> buffer, long dataOffset, int capturedLength, Span<byte> destination)
    {
        int length = Math.Min(capturedLength, destination.Length);
        buffer.Slice(dataOffset, length).CopyTo(destination);
    }
}
