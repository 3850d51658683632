using System.Diagnostics;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Capture;
using NetFabric.Datapath.Internal;
using NetFabric.Datapath.Ports.Internal;

namespace NetFabric.Datapath.Ports;

/// <summary>
/// A port over capture files: it receives the Ethernet frames of a pcap or pcapng file (optionally looping, optionally
/// at a fixed rate) and writes what it transmits to a pcap file. For replaying recorded traffic through a pipeline,
/// recording a pipeline's output, and tests that need a port without privileges. One queue.
/// </summary>
/// <remarks>
/// <para>Receive reads each frame straight from the file into a buffer rented from the pool (one copy, no
/// allocation per frame; the file is read 64 KiB at a time, so <see cref="RxBurst"/> blocks on disk reads). Each
/// buffer gets the options' in-port and the frame's capture timestamp. A frame longer than the pool's buffers,
/// or any frame when the pool is empty, is consumed and counted in <see cref="PortStatistics.RxDrops"/>; a frame
/// whose link type is not Ethernet is consumed and counted in <see cref="PortStatistics.Errors"/>, as is a file
/// that turns out truncated or malformed (reading then ends there). When the input ends and the port does not
/// loop, <see cref="LinkState"/> becomes <see cref="Ports.LinkState.Down"/> and receives return 0; a looping port
/// reopens the file (one reader allocated per pass) and goes down only if a whole pass had no usable frame.</para>
/// <para>Transmit appends each frame to the output file with the current time and releases the buffers; without an
/// output file every transmitted frame is a counted drop. An I/O error while writing counts one error and drops the
/// rest of the burst.</para>
/// <para>One thread may receive and one (other) thread may transmit at a time. <see cref="Dispose"/> flushes the
/// output; call it after the callers stopped, it does not wait for a burst in progress.</para>
/// </remarks>
public sealed class PcapPort : IPacketPort
{
    private readonly PacketPool? _pool;
    private readonly string? _inputPath;
    private readonly bool _loop;
    private readonly uint _inPort;
    private readonly bool _rateLimited;
    private readonly PortCounters[] _counters = new PortCounters[1];
    private TokenBucket _bucket;
    private CaptureReader? _reader;
    private PcapWriter? _writer;
    private long _usableThisPass;
    private volatile bool _inputEnded;
    private volatile bool _disposed;

    /// <summary>
    /// Opens the input file (reading its header) and creates the output file as <paramref name="options"/> say.
    /// </summary>
    /// <param name="name">The port's name.</param>
    /// <param name="pool">Where received frames' buffers come from; may be null for a transmit-only port.</param>
    /// <param name="options">The files, loop and rate settings, and the in-port number.</param>
    /// <exception cref="ArgumentException">Neither an input nor an output is given, an input is given without a pool, or the rate is not a positive number.</exception>
    /// <exception cref="CaptureFormatException">The input file is missing, unreadable, or not a pcap or pcapng file.</exception>
    /// <exception cref="IOException">The output file cannot be created.</exception>
    public PcapPort(string name, PacketPool? pool, PcapPortOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        if (options.InputPath is null && options.OutputPath is null)
            throw new ArgumentException("A capture port needs an InputPath, an OutputPath or both.", nameof(options));
        if (options.InputPath is not null && pool is null)
            throw new ArgumentException("A capture port that receives needs a packet pool for its buffers.", nameof(pool));
        if (options.RatePacketsPerSecond is { } rate)
        {
            if (!double.IsFinite(rate) || rate <= 0)
                ThrowHelper.ArgumentOutOfRange(nameof(options), "RatePacketsPerSecond must be a positive, finite number of frames per second.");
            _rateLimited = true;
            // 10 ms of frames: enough slack for a caller that polls unevenly, small enough to keep the rate smooth.
            _bucket = new TokenBucket(rate, Math.Clamp(rate / 100, 1, PacketBatch.MaximumSize), Stopwatch.GetTimestamp());
        }

        Name = name;
        _pool = pool;
        _inputPath = options.InputPath;
        _loop = options.Loop;
        _inPort = options.InPort;
        if (_inputPath is not null)
            _reader = CaptureReader.Open(_inputPath);
        try
        {
            if (options.OutputPath is not null)
                _writer = new PcapWriter(options.OutputPath, LinkType.Ethernet, TimestampResolution.Nanoseconds);
        }
        catch
        {
            _reader?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public int QueueCount => 1;

    /// <summary>Down once disposed, or once the input has ended (and the port does not loop); Up otherwise.</summary>
    public LinkState LinkState => _disposed || _inputEnded ? LinkState.Down : LinkState.Up;

    /// <inheritdoc />
    public PortStatistics Statistics => PortCounters.Sum(_counters);

    /// <inheritdoc />
    public int RxBurst(int queue, Span<PacketBuffer> buffers)
    {
        CheckQueue(queue);
        if (_reader is null || _inputEnded || _disposed) return 0;
        int wanted = _rateLimited ? _bucket.Available(buffers.Length, Stopwatch.GetTimestamp()) : buffers.Length;
        ref var counters = ref _counters[0];
        var pool = _pool!;
        int received = 0;
        int consumed = 0;
        PacketBuffer spare = default;
        // Every frame taken from the file uses one slot of the burst, delivered or dropped: the loop is bounded
        // even for a looping file full of frames it cannot deliver.
        while (consumed < wanted)
        {
            if (spare.IsNull && !pool.TryRent(out spare))
            {
                // Out of buffers: the frame is still consumed, as a NIC consumes a descriptor it cannot fill.
                if (!TryReadRecord(Span<byte>.Empty, out var skipped)) break;
                consumed++;
                if (skipped.LinkType != LinkType.Ethernet) counters.Errors++;
                else counters.RxDrops++;
                continue;
            }
            var room = spare.Writable;
            if (!TryReadRecord(room, out var record)) break;
            consumed++;
            if (record.LinkType != LinkType.Ethernet)
            {
                counters.Errors++;
                continue;
            }
            if (record.CapturedLength > room.Length)
            {
                counters.RxDrops++;
                continue;
            }
            spare.TrySetLength(record.CapturedLength);
            spare.InPort = _inPort;
            spare.Timestamp = record.TimestampNanoseconds;
            counters.RxBytes += record.CapturedLength;
            buffers[received++] = spare;
            spare = default;
        }
        if (!spare.IsNull) spare.Release();
        counters.RxPackets += received;
        if (_rateLimited) _bucket.Take(consumed);
        return received;
    }

    /// Reads the next record, reopening the file at its end when looping. False when the input has ended.
    private bool TryReadRecord(Span<byte> destination, out CaptureRecord record)
    {
        while (true)
        {
            try
            {
                if (_reader!.TryRead(destination, out record))
                {
                    if (record.LinkType == LinkType.Ethernet && record.CapturedLength <= _pool!.DataSize) _usableThisPass++;
                    return true;
                }
            }
            catch (CaptureFormatException)
            {
                _counters[0].Errors++;
                _inputEnded = true;
                record = default;
                return false;
            }
            if (_reader.Truncated) _counters[0].Errors++;
            // A pass with nothing deliverable would make a looping port spin for ever: end it instead.
            if (!_loop || _usableThisPass == 0)
            {
                _inputEnded = true;
                return false;
            }
            _usableThisPass = 0;
            _reader.Dispose();
            try
            {
                _reader = CaptureReader.Open(_inputPath!);
            }
            catch (CaptureFormatException)
            {
                // The file vanished or changed between passes.
                _counters[0].Errors++;
                _inputEnded = true;
                record = default;
                return false;
            }
        }
    }

    /// <inheritdoc />
    public int TxBurst(int queue, ReadOnlySpan<PacketBuffer> buffers)
    {
        CheckQueue(queue);
        ref var counters = ref _counters[0];
        int sent = 0;
        if (_writer is not null && !_disposed)
        {
            long now = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
            try
            {
                foreach (var buffer in buffers)
                {
                    _writer.Write(buffer.Data, now);
                    counters.TxBytes += buffer.Length;
                    sent++;
                }
            }
            catch (IOException)
            {
                counters.Errors++;
            }
        }
        counters.TxPackets += sent;
        counters.TxDrops += buffers.Length - sent;
        foreach (var buffer in buffers) buffer.Release();
        return sent;
    }

    /// <summary>
    /// Writes the frames transmitted so far to the output file (they are buffered 64 KiB at a time). Blocks on the
    /// write; call it from the transmitting thread. Does nothing without an output file.
    /// </summary>
    public void Flush()
    {
        if (!_disposed) _writer?.Flush();
    }

    private static void CheckQueue(int queue)
    {
        if (queue != 0) ThrowHelper.ArgumentOutOfRange(nameof(queue), "A capture port has one queue, 0.");
    }

    /// <summary>Flushes and closes the output file, closes the input file, and takes the link down. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            _writer?.Dispose();
        }
        finally
        {
            _reader?.Dispose();
        }
    }
}
