using FsCheck.Xunit;
using NetFabric.Datapath.Buffers;

namespace NetFabric.Datapath.Tests.Buffers;

public class PacketPoolTests
{
    [Fact]
    public void Rented_buffers_have_an_empty_frame_and_the_standard_headroom()
    {
        using var pool = new PacketPool(4, dataSize: 256, headroom: 64);
        Assert.True(pool.TryRent(out var buffer));
        Assert.Equal(0, buffer.Length);
        Assert.Equal(64, buffer.Headroom);
        Assert.Equal(256, buffer.Tailroom);
        Assert.Equal(3, pool.Available);
        buffer.Release();
        Assert.Equal(4, pool.Available);
    }

    [Fact]
    public void An_empty_pool_fails_rents_and_counts_them_without_allocating_more()
    {
        using var pool = new PacketPool(2);
        Span<PacketBuffer> buffers = stackalloc PacketBuffer[3];
        Assert.Equal(2, pool.RentBatch(buffers));
        Assert.False(pool.TryRent(out var none));
        Assert.True(none.IsNull);
        Assert.Equal(2, pool.Exhausted);
        pool.Return(buffers[..2]);
        Assert.Equal(2, pool.Available);
    }

    [Fact]
    public void A_double_return_is_counted_and_ignored()
    {
        using var pool = new PacketPool(2);
        Assert.True(pool.TryRent(out var buffer));
        buffer.Release();
#if DEBUG
        // Debug builds also fail an assertion; the counter is what release builds rely on.
        System.Diagnostics.Trace.Listeners.Clear();
#endif
        buffer.Release();
        Assert.Equal(1, pool.DoubleReturns);
        Assert.Equal(2, pool.Available);
        // The pool still hands out two distinct buffers, never the same one twice.
        Assert.True(pool.TryRent(out var a));
        Assert.True(pool.TryRent(out var b));
        Assert.NotEqual(a, b);
        Assert.False(pool.TryRent(out _));
    }

    [Property]
    public bool Prepend_and_trim_move_the_frame_start_within_the_buffer(byte[] frame, byte push)
    {
        using var pool = new PacketPool(1, dataSize: 2048, headroom: 128);
        pool.TryRent(out var buffer);
        int length = Math.Min(frame.Length, 2048);
        buffer.TrySetLength(length);
        frame.AsSpan(0, length).CopyTo(buffer.Data);
        int count = push % 200;
        bool fits = count <= 128;
        bool prepended = buffer.TryPrepend(count, out var header);
        bool ok = prepended == fits
            && (!fits || (header.Length == count && buffer.Length == length + count && buffer.Headroom == 128 - count
                && buffer.Data.Slice(count).SequenceEqual(frame.AsSpan(0, length))
                && buffer.TryTrimFront(count) && buffer.Data.SequenceEqual(frame.AsSpan(0, length))));
        buffer.Release();
        return ok && !buffer.TrySetLength(int.MaxValue);
    }

    [Property]
    public unsafe bool Every_frame_edit_keeps_the_packet_length_equal_to_the_frame_length(byte[] steps)
    {
        // pkt_len and data_len of an mbuf: the descriptor shares the mbuf's layout, and a transmit hands both to DPDK.
        using var pool = new PacketPool(1, dataSize: 256, headroom: 64);
        pool.TryRent(out var buffer);
        bool ok = true;
        foreach (byte step in steps)
        {
            int amount = step >> 2;
            _ = (step & 3) switch
            {
                0 => buffer.TrySetLength(amount * 4),
                1 => buffer.TryPrepend(amount, out _),
                2 => buffer.TryTrimFront(amount),
                _ => buffer.TrySetLength(buffer.Length + amount),
            };
            ok &= buffer.Descriptor->PacketLength == (uint)buffer.Length && buffer.Data.Length == buffer.Length
                && buffer.Headroom + buffer.Length + buffer.Tailroom == 64 + 256;
        }
        buffer.Release();
        return ok;
    }

    [Fact]
    public void Metadata_is_absent_until_set_and_reset_clears_it_but_keeps_the_buffer_owned()
    {
        using var pool = new PacketPool(1);
        pool.TryRent(out var buffer);
        Assert.Equal(0u, buffer.FlowHash);
        Assert.Equal(default, buffer.Tunnel);
        Assert.Equal(0L, buffer.Timestamp);
        buffer.FlowHash = 0;
        buffer.Timestamp = 5;
        buffer.Tunnel = new NetFabric.Datapath.Flows.TunnelMetadata(9, new(1), new(2));
        buffer.InPort = 4;
        Assert.Equal(5L, buffer.Timestamp);
        Assert.Equal(9UL, buffer.Tunnel.Id);

        buffer.Reset();

        Assert.Equal((0u, 0L, 0u), (buffer.FlowHash, buffer.Timestamp, buffer.InPort));
        Assert.Equal(default, buffer.Tunnel);
        Assert.Equal(PacketPool.DefaultHeadroom, buffer.Headroom);
        buffer.Release();
        Assert.Equal(0, pool.DoubleReturns);
        Assert.Equal(1, pool.Available);
    }

    [Fact]
    public void Buffers_larger_than_16_bit_offsets_allow_are_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PacketPool(1, dataSize: 65_500, headroom: 128));
        Assert.Contains("65535", error.Message, StringComparison.Ordinal);
        using var largest = new PacketPool(1, dataSize: 65_535 - 128, headroom: 128);
        Assert.True(largest.TryRent(out var buffer));
        Assert.Equal(65_535 - 128, buffer.Tailroom);
        buffer.Release();
    }

    [Fact]
    public void A_clone_copies_frame_and_metadata_into_another_buffer()
    {
        using var pool = new PacketPool(2);
        pool.TryRent(out var original);
        original.TrySetLength(3);
        "abc"u8.CopyTo(original.Data);
        original.InPort = 7;
        original.Tunnel = new NetFabric.Datapath.Flows.TunnelMetadata(5, new(1), new(2));
        Assert.True(PacketPool.TryClone(original, out var copy));
        Assert.NotEqual(original, copy);
        Assert.True(copy.Data.SequenceEqual("abc"u8));
        Assert.Equal(7u, copy.InPort);
        Assert.Equal(original.Tunnel, copy.Tunnel);
        Assert.False(PacketPool.TryClone(original, out _));
        original.Release();
        copy.Release();
    }

    [Fact]
    public void Concurrent_rent_and_return_never_hand_one_buffer_to_two_owners()
    {
        using var pool = new PacketPool(64);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        long operations = 0;
        var deadline = DateTime.UtcNow.AddMilliseconds(800);
        void Churn(byte mark)
        {
            Span<PacketBuffer> held = stackalloc PacketBuffer[8];
            while (DateTime.UtcNow < deadline)
            {
                int count = pool.RentBatch(held);
                // Stamp every rented buffer; if another thread holds the same buffer it will see our mark.
                for (int i = 0; i < count; i++) { held[i].TrySetLength(1); held[i].Data[0] = mark; }
                Thread.SpinWait(20);
                for (int i = 0; i < count; i++)
                {
                    if (held[i].Data[0] != mark) failures.Enqueue($"buffer shared: expected {mark}, found {held[i].Data[0]}");
                    held[i].Release();
                }
                Interlocked.Add(ref operations, count);
            }
        }
        var threads = Enumerable.Range(1, 3).Select(i => new Thread(() => Churn((byte)i))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
        Assert.True(operations > 0);
        Assert.Equal(64, pool.Available);
        Assert.Equal(0, pool.DoubleReturns);
    }
}
