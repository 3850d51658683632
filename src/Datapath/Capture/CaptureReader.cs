using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Capture.Internal;

namespace NetFabric.Datapath.Capture;

/// <summary>
/// Reads packets from a classic pcap file (either byte order, microsecond or nanosecond
/// timestamps) or a pcapng file (any number of sections in either byte order), streaming it
/// through a <see cref="PipeReader"/> so that only the packet being decoded is buffered.
/// </summary>
/// <remarks>
/// <para>Cost: reading into a caller-provided buffer allocates nothing per packet; the pipe's
/// segments come from the shared memory pool and are reused. Memory held is about 64 KiB plus
/// the largest packet.</para>
/// <para>Bad input: every malformed header throws <see cref="CaptureFormatException"/> naming the
/// file and offset, never an index or argument exception; after it the reader is at its end. A
/// file cut short inside its last record ends reading cleanly with <see cref="Truncated"/> set.</para>
/// <para>Not thread-safe: one reader is used by one thread (or one asynchronous flow) at a time.</para>
/// </remarks>
public sealed class CaptureReader : IDisposable, IAsyncDisposable
{
    // Large enough that the per-fill cost (a read system call) is amortised over dozens of
    // packets; small enough to stay below the large object heap threshold of the pool's arrays.
    private const int PipeBufferSize = 64 * 1024;
    private const int PipeMinimumReadSize = 16 * 1024;

    private readonly SwitchableReadStream _stream;
    private readonly PipeReader _pipe;
    private readonly CaptureDecoder _decoder;
    private bool _ended;
    private bool _disposed;

    private CaptureReader(SwitchableReadStream stream, PipeReader pipe, CaptureDecoder decoder, CaptureFileFormat format, string fileName)
    {
        _stream = stream;
        _pipe = pipe;
        _decoder = decoder;
        Format = format;
        FileName = fileName;
    }

    /// <summary>Whether the file is classic pcap or pcapng, as detected from its magic number.</summary>
    public CaptureFileFormat Format { get; }

    /// <summary>The path given to <see cref="Open(string)"/>, or the name given to <see cref="Open(Stream, string?, bool)"/>; error messages use it.</summary>
    public string FileName { get; }

    /// <summary>
    /// True once reading has ended on a file whose last record (or pcapng block) was cut short:
    /// the partial record is dropped, not returned. False while reading and after a clean end.
    /// </summary>
    public bool Truncated { get; private set; }

    /// <summary>Number of records returned so far.</summary>
    public long RecordCount { get; private set; }

    /// <summary>
    /// Opens the capture file at <paramref name="path"/> and reads its header to detect the
    /// format. Blocks on one read of the file; allocates the reader and its pipe (not per packet).
    /// </summary>
    /// <param name="path">Path of a pcap or pcapng file.</param>
    /// <returns>A reader positioned before the first record; dispose it to close the file.</returns>
    /// <exception cref="CaptureFormatException">
    /// The file does not exist, cannot be opened for reading, or does not start with a pcap or
    /// pcapng header. The message names the file and what is wrong.
    /// </exception>
    public static CaptureReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream file;
        try
        {
            // No FileStream buffering: the pipe is the buffer. SequentialScan lets the OS read ahead.
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            CaptureThrowHelper.FileMissing(path, e);
            throw; // unreachable: FileMissing does not return
        }
        catch (UnauthorizedAccessException e)
        {
            CaptureThrowHelper.AccessDenied(path, e);
            throw;
        }
        return Open(file, path, leaveOpen: false);
    }

    /// <summary>
    /// Reads a pcap or pcapng capture from <paramref name="stream"/> (a file, a network or a
    /// memory stream; it need not be seekable). Blocks until the header has been read.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the start of the capture.</param>
    /// <param name="fileName">Name used in error messages; defaults to the FileStream's path, or "stream".</param>
    /// <param name="leaveOpen">True to leave <paramref name="stream"/> open when the reader is disposed.</param>
    /// <returns>A reader positioned before the first record.</returns>
    /// <exception cref="CaptureFormatException">The stream does not start with a pcap or pcapng header; the stream is disposed unless <paramref name="leaveOpen"/>.</exception>
    public static CaptureReader Open(Stream stream, string? fileName = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        fileName ??= (stream as FileStream)?.Name ?? "stream";
        var switchable = new SwitchableReadStream(stream, leaveOpen) { Synchronous = true };
        PipeReader pipe = PipeReader.Create(switchable, new StreamPipeReaderOptions(
            bufferSize: PipeBufferSize, minimumReadSize: PipeMinimumReadSize, leaveOpen: true));
        try
        {
            (CaptureDecoder decoder, CaptureFileFormat format) = ReadFileHeader(pipe, fileName);
            return new CaptureReader(switchable, pipe, decoder, format, fileName);
        }
        catch
        {
            pipe.Complete();
            switchable.Dispose();
            throw;
        }
    }

    private static (CaptureDecoder, CaptureFileFormat) ReadFileHeader(PipeReader pipe, string fileName)
    {
        ReadResult result = WaitForRead(pipe.ReadAtLeastAsync(PcapFormat.FileHeaderLength));
        ReadOnlySequence<byte> buffer = result.Buffer;
        if (buffer.Length < 4)
            CaptureThrowHelper.TooShort(fileName, buffer.Length);

        Span<byte> header = stackalloc byte[PcapFormat.FileHeaderLength];
        buffer.Slice(0, Math.Min(buffer.Length, header.Length)).CopyTo(header);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);

        if (magic == PcapNgFormat.SectionHeaderBlock)
        {
            // The pcapng decoder reads the SHB itself, as it does for every later section.
            pipe.AdvanceTo(buffer.Start);
            return (new PcapNgDecoder(fileName), CaptureFileFormat.PcapNg);
        }
        if (!PcapFormat.IsPcapMagic(magic, out bool bigEndian, out bool nanoseconds))
            CaptureThrowHelper.NotACaptureFile(fileName, BinaryPrimitives.ReadUInt32BigEndian(header));
        if (buffer.Length < PcapFormat.FileHeaderLength)
            CaptureThrowHelper.Malformed(fileName, 0, $"the pcap file header is cut short ({buffer.Length} of 24 bytes)");

        var fields = new HeaderFields(header, bigEndian);
        ushort major = fields.UInt16(4);
        if (major != PcapFormat.VersionMajor)
            CaptureThrowHelper.Malformed(fileName, 4, $"pcap version {major}.{fields.UInt16(6)} is not supported (only 2.x)");
        // Bits 0-15 of the last field are the link type; the upper bits describe the FCS.
        var linkType = (LinkType)(fields.UInt32(20) & 0xFFFF);

        pipe.AdvanceTo(buffer.GetPosition(PcapFormat.FileHeaderLength));
        return (new PcapDecoder(fileName, bigEndian, nanoseconds, linkType), CaptureFileFormat.Pcap);
    }

    /// <summary>
    /// Reads the next record, copying its bytes into <paramref name="destination"/>. Blocks the
    /// calling thread while the file is read (one read call per 64 KiB, not per packet);
    /// allocates nothing.
    /// </summary>
    /// <param name="destination">
    /// Receives the packet bytes. When it is shorter than the record's
    /// <see cref="CaptureRecord.CapturedLength"/>, only the first destination.Length bytes are
    /// copied and the record still reports the real captured length: compare the two.
    /// </param>
    /// <param name="record">The record's metadata when the method returns true; default otherwise.</param>
    /// <returns>True when a record was read; false at the end of the file (check <see cref="Truncated"/>).</returns>
    /// <exception cref="CaptureFormatException">A header is malformed; the message names the file and offset.</exception>
    /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
    public bool TryRead(Span<byte> destination, out CaptureRecord record)
    {
        if (_disposed)
            CaptureThrowHelper.ObjectDisposed(this);
        record = default;
        // The pipe's ReadAsync then completes on this thread through a plain Stream.Read, so
        // waiting on it never parks the thread on thread-pool work (see SwitchableReadStream).
        _stream.Synchronous = true;
        while (!_ended)
        {
            if (Step(WaitForRead(_pipe.ReadAsync()), destination, out record))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Reads the next record asynchronously, copying its bytes into <paramref name="destination"/>
    /// (see <see cref="TryRead"/> for a destination shorter than the packet). Completes
    /// synchronously, without allocating, while the pipe already holds the record; a refill
    /// uses the stream's asynchronous read and a pooled state machine.
    /// </summary>
    /// <param name="destination">Receives the packet bytes; must not be used until the returned task completes.</param>
    /// <param name="cancellationToken">Cancels a pending read of the file.</param>
    /// <returns>The record's metadata, or null at the end of the file (check <see cref="Truncated"/>).</returns>
    /// <exception cref="CaptureFormatException">A header is malformed; the message names the file and offset.</exception>
    /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
    public ValueTask<CaptureRecord?> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_disposed)
            CaptureThrowHelper.ObjectDisposed(this);
        if (_ended)
            return new ValueTask<CaptureRecord?>(default(CaptureRecord?));
        _stream.Synchronous = false;
        return ReadCoreAsync(destination, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<CaptureRecord?> ReadCoreAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!_ended)
        {
            ReadResult result = await _pipe.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (Step(result, destination.Span, out CaptureRecord record))
                return record;
        }
        return null;
    }

    /// Offers what the pipe holds to the decoder and tells the pipe how much was consumed and
    /// examined. Returns true with a record, or false when more data is needed or the file ended.
    private bool Step(ReadResult result, Span<byte> destination, out CaptureRecord record)
    {
        ReadOnlySequence<byte> buffer = result.Buffer;
        bool decoded;
        try
        {
            decoded = _decoder.TryDecode(ref buffer, destination, out record);
        }
        catch (CaptureFormatException)
        {
            // The position after a malformed header is meaningless: the reader ends here.
            _pipe.AdvanceTo(buffer.End);
            _ended = true;
            throw;
        }

        if (decoded)
        {
            _pipe.AdvanceTo(buffer.Start);
            RecordCount++;
            return true;
        }
        if (result.IsCompleted)
        {
            Truncated = buffer.Length > 0 || _decoder.PendingSkip > 0;
            _pipe.AdvanceTo(buffer.End);
            _ended = true;
            return false;
        }
        // Keep the partial record, but ask the pipe to read more before returning again.
        _pipe.AdvanceTo(buffer.Start, buffer.End);
        return false;
    }

    private static ReadResult WaitForRead(ValueTask<ReadResult> read) =>
        read.IsCompletedSuccessfully ? read.Result : read.AsTask().GetAwaiter().GetResult();

    /// <summary>Closes the file (or the stream, unless opened with leaveOpen) and returns the pipe's buffers to the pool. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _pipe.Complete();
        _stream.Dispose();
    }

    /// <summary>Asynchronous form of <see cref="Dispose"/>. Idempotent.</summary>
    /// <returns>A task that completes when the stream is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await _pipe.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
