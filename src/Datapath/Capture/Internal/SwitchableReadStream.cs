namespace NetFabric.Datapath.Capture.Internal;

/// Sits between the capture file and the <see cref="System.IO.Pipelines.PipeReader"/> so that each
/// read call chooses how the pipe refills. <see cref="CaptureReader.TryRead"/> sets
/// <see cref="Synchronous"/>: the pipe's ReadAsync then completes synchronously on the caller's
/// thread (a plain blocking Stream.Read), so waiting on it is a check, not a blocked thread-pool
/// hop. On Unix a FileStream's ReadAsync is a thread-pool work item, so sync-over-async without
/// this switch would cost a context switch per pipe fill and risk thread-pool starvation.
/// <see cref="CaptureReader.ReadAsync"/> clears it and the real asynchronous read is used.
internal sealed class SwitchableReadStream(Stream inner, bool leaveOpen) : Stream
{
    public bool Synchronous { get; set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Synchronous)
            return inner.ReadAsync(buffer, cancellationToken);
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<int>(cancellationToken);
        return new ValueTask<int>(inner.Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
            inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!leaveOpen)
            await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
