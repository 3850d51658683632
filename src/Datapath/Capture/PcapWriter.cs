using System.Buffers;
using NetFabric.Datapath.Capture.Internal;

namespace NetFabric.Datapath.Capture;

/// <summary>
/// Writes packets to a classic pcap file (draft-ietf-opsawg-pcap) that tcpdump, Wireshark and
/// <see cref="CaptureReader"/> read. Byte order and timestamp resolution are selectable so that
/// tests can produce every variant a reader must accept.
/// </summary>
/// <remarks>
/// <para>Cost: records are gathered in one pooled 64 KiB buffer and written when it fills, so
/// <see cref="Write"/> allocates nothing and blocks only on those writes (a frame too large for
/// the remaining buffer is written straight to the stream).</para>
/// <para>Data reaches the stream on <see cref="Flush"/>, <see cref="FlushAsync"/> and dispose;
/// a writer that is not disposed loses its last buffer.</para>
/// <para>Not thread-safe: one writer is used by one thread at a time.</para>
/// </remarks>
public sealed class PcapWriter : IDisposable, IAsyncDisposable
{
    /// <summary>The default and largest snap length: libpcap's MAXIMUM_SNAPLEN, 256 KiB.</summary>
    public const int DefaultSnapLength = PcapFormat.MaximumRecordLength;

    private const int BufferSize = 64 * 1024;
    // 2^32 - 1 seconds: the record header's seconds field is an unsigned 32-bit count (year 2106).
    private const long MaximumTimestampNanoseconds = uint.MaxValue * 1_000_000_000L + 999_999_999L;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _bigEndian;
    private byte[] _buffer;
    private int _count;
    private bool _disposed;

    /// <summary>
    /// Creates (or overwrites) the pcap file at <paramref name="path"/> and buffers its header.
    /// Allocates the writer and rents its buffer; does not block beyond opening the file.
    /// </summary>
    /// <param name="path">Path of the file to create; an existing file is replaced.</param>
    /// <param name="linkType">Link-layer header type of every frame written.</param>
    /// <param name="resolution">Timestamp resolution; microseconds truncate the sub-microsecond part.</param>
    /// <param name="byteOrder">Byte order of the header fields; little-endian by default.</param>
    /// <param name="snapLength">Longest captured length; longer frames are cut to it. 1 to 262144.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="snapLength"/> is outside 1 to 262144.</exception>
    /// <exception cref="IOException">The file cannot be created (the usual FileStream exceptions).</exception>
    public PcapWriter(string path, LinkType linkType = LinkType.Ethernet,
        TimestampResolution resolution = TimestampResolution.Microseconds,
        CaptureByteOrder byteOrder = CaptureByteOrder.LittleEndian, int snapLength = DefaultSnapLength)
        : this(ValidateAndCreate(path, snapLength), linkType, resolution, byteOrder, snapLength, leaveOpen: false)
    {
    }

    /// <summary>
    /// Writes a pcap capture to <paramref name="stream"/> and buffers its header. Allocates the
    /// writer and rents its buffer; nothing is written to the stream until the buffer fills or is flushed.
    /// </summary>
    /// <param name="stream">A writable stream; it need not be seekable.</param>
    /// <param name="linkType">Link-layer header type of every frame written.</param>
    /// <param name="resolution">Timestamp resolution; microseconds truncate the sub-microsecond part.</param>
    /// <param name="byteOrder">Byte order of the header fields; little-endian by default.</param>
    /// <param name="snapLength">Longest captured length; longer frames are cut to it. 1 to 262144.</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open when the writer is disposed.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="snapLength"/> is outside 1 to 262144.</exception>
    public PcapWriter(Stream stream, LinkType linkType = LinkType.Ethernet,
        TimestampResolution resolution = TimestampResolution.Microseconds,
        CaptureByteOrder byteOrder = CaptureByteOrder.LittleEndian, int snapLength = DefaultSnapLength,
        bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ValidateSnapLength(snapLength);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _bigEndian = byteOrder == CaptureByteOrder.BigEndian;
        LinkType = linkType;
        Resolution = resolution;
        ByteOrder = byteOrder;
        SnapLength = snapLength;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        PcapFormat.WriteFileHeader(_buffer, _bigEndian, resolution == TimestampResolution.Nanoseconds, snapLength, linkType);
        _count = PcapFormat.FileHeaderLength;
    }

    /// <summary>Link-layer header type written in the file header.</summary>
    public LinkType LinkType { get; }

    /// <summary>Timestamp resolution, which selects the magic number.</summary>
    public TimestampResolution Resolution { get; }

    /// <summary>Byte order of the header fields.</summary>
    public CaptureByteOrder ByteOrder { get; }

    /// <summary>Longest number of bytes stored per frame.</summary>
    public int SnapLength { get; }

    /// <summary>Number of records written so far.</summary>
    public long RecordCount { get; private set; }

    /// <summary>
    /// Appends one record. Copies at most <see cref="SnapLength"/> bytes of the frame into the
    /// buffer; allocates nothing; blocks only when the buffer is full and must be written.
    /// </summary>
    /// <param name="frame">The frame as it appeared on the link (without FCS for Ethernet).</param>
    /// <param name="timestampNanoseconds">
    /// Capture time in nanoseconds since the Unix epoch; truncated to whole microseconds when
    /// <see cref="Resolution"/> is <see cref="TimestampResolution.Microseconds"/>.
    /// </param>
    /// <param name="originalLength">Length on the wire, or -1 (default) for <paramref name="frame"/>.Length.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The timestamp is negative or after 2106-02-07 (the 32-bit seconds field), or
    /// <paramref name="originalLength"/> is neither -1 nor at least the frame length.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The writer has been disposed.</exception>
    public void Write(ReadOnlySpan<byte> frame, long timestampNanoseconds, int originalLength = -1)
    {
        if (_disposed)
            CaptureThrowHelper.ObjectDisposed(this);
        if ((ulong)timestampNanoseconds > MaximumTimestampNanoseconds)
            CaptureThrowHelper.ArgumentOutOfRange(nameof(timestampNanoseconds), "A pcap timestamp must lie between 1970-01-01 and 2106-02-07 (unsigned 32-bit seconds).");
        if (originalLength == -1)
            originalLength = frame.Length;
        else if (originalLength < frame.Length)
            CaptureThrowHelper.ArgumentOutOfRange(nameof(originalLength), "The original length must be -1 or at least the frame length.");

        int captured = Math.Min(frame.Length, SnapLength);
        long subsecond = timestampNanoseconds % 1_000_000_000L;
        uint fraction = (uint)(Resolution == TimestampResolution.Nanoseconds ? subsecond : subsecond / 1_000L);

        if (BufferSize - _count < PcapFormat.RecordHeaderLength)
            WriteBuffer();
        PcapFormat.WriteRecordHeader(_buffer.AsSpan(_count), _bigEndian,
            (uint)(timestampNanoseconds / 1_000_000_000L), fraction, captured, originalLength);
        _count += PcapFormat.RecordHeaderLength;

        ReadOnlySpan<byte> data = frame[..captured];
        if (data.Length <= BufferSize - _count)
        {
            data.CopyTo(_buffer.AsSpan(_count));
            _count += data.Length;
        }
        else
        {
            // A jumbo frame behind a nearly full buffer: write both rather than grow the buffer.
            WriteBuffer();
            _stream.Write(data);
        }
        RecordCount++;
    }

    /// <summary>Writes the buffered records to the stream and flushes it. Blocks on the write.</summary>
    /// <exception cref="ObjectDisposedException">The writer has been disposed.</exception>
    public void Flush()
    {
        if (_disposed)
            CaptureThrowHelper.ObjectDisposed(this);
        WriteBuffer();
        _stream.Flush();
    }

    /// <summary>Asynchronously writes the buffered records to the stream and flushes it.</summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the stream has been flushed.</returns>
    /// <exception cref="ObjectDisposedException">The writer has been disposed.</exception>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_disposed)
            CaptureThrowHelper.ObjectDisposed(this);
        await WriteBufferAsync(cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes the buffered records, closes the stream unless leaveOpen, and returns the buffer to the pool. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        try
        {
            WriteBuffer();
            _stream.Flush();
        }
        finally
        {
            Release();
            if (!_leaveOpen)
                _stream.Dispose();
        }
    }

    /// <summary>Asynchronous form of <see cref="Dispose"/>. Idempotent.</summary>
    /// <returns>A task that completes when the data is flushed and the stream closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        try
        {
            await WriteBufferAsync(CancellationToken.None).ConfigureAwait(false);
            await _stream.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            Release();
            if (!_leaveOpen)
                await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void WriteBuffer()
    {
        if (_count == 0)
            return;
        _stream.Write(_buffer, 0, _count);
        _count = 0;
    }

    private async ValueTask WriteBufferAsync(CancellationToken cancellationToken)
    {
        if (_count == 0)
            return;
        await _stream.WriteAsync(_buffer.AsMemory(0, _count), cancellationToken).ConfigureAwait(false);
        _count = 0;
    }

    private void Release()
    {
        _disposed = true;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private static FileStream ValidateAndCreate(string path, int snapLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // Validate before creating, so a bad argument does not leave an empty file behind.
        ValidateSnapLength(snapLength);
        return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
    }

    private static void ValidateSnapLength(int snapLength)
    {
        if (snapLength is < 1 or > PcapFormat.MaximumRecordLength)
            CaptureThrowHelper.ArgumentOutOfRange(nameof(snapLength), "The snap length must be between 1 and 262144 bytes.");
    }
}
