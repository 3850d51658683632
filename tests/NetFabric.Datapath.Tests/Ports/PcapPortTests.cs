using System.Diagnostics;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Capture;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;
using NetFabric.Datapath.Tests.Capture;

namespace NetFabric.Datapath.Tests.Ports;

public class PcapPortTests
{
    private static readonly MacAddress SenderMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress ReceiverMac = MacAddress.Parse("02:00:00:00:00:02");

    [Fact]
    public void Receive_gives_the_files_frames_in_order_with_the_in_port_and_capture_time_stamped()
    {
        CapturedFrame[] frames = Frames(10);
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, frames, resolution: TimestampResolution.Nanoseconds);
        using var pool = new PacketPool(32);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path, InPort = 7 });

        List<(byte[] Bytes, uint InPort, long Timestamp)> received = ReceiveAll(port, burst: 4);

        Assert.Equal(frames.Select(f => f.Bytes), received.Select(r => r.Bytes));
        Assert.All(received, r => Assert.Equal(7u, r.InPort));
        Assert.Equal(frames.Select(f => f.TimestampNanoseconds), received.Select(r => r.Timestamp));
        Assert.Equal(LinkState.Down, port.LinkState);
        Assert.Equal(0, port.RxBurst(0, new PacketBuffer[4]));
        Assert.Equal(new PortStatistics(10, frames.Sum(f => f.Bytes.Length), 0, 0, 0, 0, 0), port.Statistics);
        Assert.Equal(pool.Count, pool.Available);
    }

    [Fact]
    public void A_pcapng_input_is_received_like_a_pcap_one()
    {
        CapturedFrame[] frames = Frames(3);
        var builder = new PcapNgBuilder().SectionHeader(bigEndian: false).InterfaceDescription((ushort)LinkType.Ethernet, 65535);
        foreach (var frame in frames) builder.EnhancedPacket(0, (ulong)frame.TimestampNanoseconds / 1000, frame.Bytes);
        using var input = TempCaptureFile.WithBytes(builder.ToArray(), ".pcapng");
        using var pool = new PacketPool(8);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path });

        Assert.Equal(frames.Select(f => f.Bytes), ReceiveAll(port, burst: 8).Select(r => r.Bytes));
    }

    [Fact]
    public void Receiving_a_thousand_frames_allocates_only_the_file_readers_refills()
    {
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, Frames(1_100));
        using var pool = new PacketPool(64);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path });
        var burst = new PacketBuffer[10];
        for (int i = 0; i < 10; i++) Assert.Equal(10, ReleaseAll(burst, port.RxBurst(0, burst)));

        long before = GC.GetAllocatedBytesForCurrentThread();
        int received = 0, count;
        while ((count = port.RxBurst(0, burst)) > 0) received += ReleaseAll(burst, count);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1_000, received);
        // The same bound as CaptureReader's own test: the pipe's segment bookkeeping while its pool warms up.
        Assert.True(allocated < 10 * 1024, $"Receiving 1,000 frames allocated {allocated} bytes.");

        static int ReleaseAll(PacketBuffer[] buffers, int count)
        {
            foreach (var buffer in buffers.AsSpan(0, count)) buffer.Release();
            return count;
        }
    }

    [Fact]
    public void A_looping_port_restarts_at_the_first_frame_and_stays_up()
    {
        CapturedFrame[] frames = Frames(3);
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, frames);
        using var pool = new PacketPool(16);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path, Loop = true });

        var received = new List<byte[]>();
        var burst = new PacketBuffer[4];
        while (received.Count < 10)
        {
            int count = port.RxBurst(0, burst);
            Assert.True(count > 0);
            received.AddRange(TakeBytes(burst.AsSpan(0, count)));
        }

        Assert.Equal(Enumerable.Range(0, received.Count).Select(i => frames[i % 3].Bytes), received);
        Assert.Equal(LinkState.Up, port.LinkState);
    }

    [Fact]
    public void A_rate_limited_port_hands_out_no_more_frames_than_its_rate_and_bucket_allow()
    {
        const double rate = 10;
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, Frames(50));
        using var pool = new PacketPool(64);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path, Loop = true, RatePacketsPerSecond = rate });

        var burst = new PacketBuffer[PacketBatch.MaximumSize];
        long received = 0;
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 200)
        {
            int count = port.RxBurst(0, burst);
            received += count;
            foreach (var buffer in burst.AsSpan(0, count)) buffer.Release();
        }
        double elapsed = clock.Elapsed.TotalSeconds;

        // The bucket holds 10 ms of frames but at least one; an unlimited port would hand out thousands here.
        // Only an upper bound: a slow machine may legitimately receive fewer.
        Assert.True(received <= 1 + rate * elapsed + 1, $"{received} frames in {elapsed:F3} s at {rate} frames/s");
    }

    [Fact]
    public void Transmitted_frames_are_written_to_the_output_file_byte_for_byte()
    {
        CapturedFrame[] frames = Frames(20);
        using var output = new TempCaptureFile();
        using var pool = new PacketPool(32);
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using (var port = new PcapPort("record", pool: null, new PcapPortOptions { OutputPath = output.Path }))
        {
            Assert.Equal(LinkState.Up, port.LinkState);
            Assert.Equal(0, port.RxBurst(0, new PacketBuffer[4]));
            for (int start = 0; start < frames.Length; start += 8)
            {
                PacketBuffer[] burst = Fill(pool, frames.Skip(start).Take(8));
                Assert.Equal(burst.Length, port.TxBurst(0, burst));
            }
            Assert.Equal(new PortStatistics(0, 0, 20, frames.Sum(f => f.Bytes.Length), 0, 0, 0), port.Statistics);
        }

        List<ReadFrame> written = CaptureFiles.ReadAll(output.Path);
        Assert.Equal(frames.Select(f => f.Bytes), written.Select(w => w.Bytes));
        Assert.All(written, w => Assert.Equal(LinkType.Ethernet, w.Record.LinkType));
        // Stamped with the current time (a loose check against a default or file timestamp).
        Assert.All(written, w => Assert.True(w.Record.TimestampNanoseconds / 1_000_000 >= before - 60_000));
        Assert.Equal(pool.Count, pool.Available);
    }

    [Fact]
    public void Transmit_without_an_output_file_counts_drops_and_releases_the_buffers()
    {
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, Frames(1));
        using var pool = new PacketPool(8);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path });

        Assert.Equal(0, port.TxBurst(0, Fill(pool, Frames(5))));

        Assert.Equal(5, port.Statistics.TxDrops);
        Assert.Equal(pool.Count, pool.Available);
    }

    [Fact]
    public void An_empty_pool_drops_the_frames_it_cannot_hold_and_consumes_them()
    {
        CapturedFrame[] frames = Frames(5);
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, frames);
        using var pool = new PacketPool(2);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path });

        var burst = new PacketBuffer[8];
        int count = port.RxBurst(0, burst);

        Assert.Equal(2, count);
        Assert.Equal(frames.Take(2).Select(f => f.Bytes), TakeBytes(burst.AsSpan(0, count)));
        Assert.Equal(3, port.Statistics.RxDrops);
        Assert.Equal(0, port.RxBurst(0, burst)); // the dropped frames were consumed: the file is at its end
        Assert.Equal(LinkState.Down, port.LinkState);
    }

    [Fact]
    public void Frames_longer_than_the_pools_buffers_are_dropped_and_skipped()
    {
        byte[][] frames = [Frame(60), Frame(200), Frame(64), Frame(65)];
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, frames.Select((f, i) => new CapturedFrame(f, i * 1000L)));
        using var pool = new PacketPool(8, dataSize: 64);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path });

        var received = ReceiveAll(port, burst: 8);

        Assert.Equal(new[] { frames[0], frames[2] }, received.Select(r => r.Bytes));
        Assert.Equal(2, port.Statistics.RxDrops);
        Assert.Equal(pool.Count, pool.Available);
    }

    [Fact]
    public void Frames_of_a_link_type_other_than_Ethernet_count_as_errors_and_are_skipped()
    {
        byte[] ethernet = Frame(80);
        byte[] raw = ethernet[14..]; // the IPv4 packet alone
        var builder = new PcapNgBuilder().SectionHeader(bigEndian: false)
            .InterfaceDescription((ushort)LinkType.Ethernet, 65535)
            .InterfaceDescription((ushort)LinkType.Raw, 65535)
            .EnhancedPacket(1, 1, raw)
            .EnhancedPacket(0, 2, ethernet)
            .EnhancedPacket(1, 3, raw);
        using var input = TempCaptureFile.WithBytes(builder.ToArray(), ".pcapng");
        using var pool = new PacketPool(8);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path });

        var received = ReceiveAll(port, burst: 8);

        Assert.Equal(new[] { ethernet }, received.Select(r => r.Bytes));
        Assert.Equal(2, port.Statistics.Errors);
        Assert.Equal(pool.Count, pool.Available);
    }

    [Fact]
    public void A_looping_port_over_a_file_with_nothing_to_deliver_goes_down_instead_of_spinning()
    {
        var builder = new PcapNgBuilder().SectionHeader(bigEndian: false)
            .InterfaceDescription((ushort)LinkType.Raw, 65535)
            .EnhancedPacket(0, 1, Frame(80)[14..]);
        using var input = TempCaptureFile.WithBytes(builder.ToArray(), ".pcapng");
        using var pool = new PacketPool(8);
        using var port = new PcapPort("replay", pool, new PcapPortOptions { InputPath = input.Path, Loop = true });

        Assert.Equal(0, port.RxBurst(0, new PacketBuffer[8]));
        Assert.Equal(LinkState.Down, port.LinkState);
    }

    [Fact]
    public void A_port_without_files_or_receiving_without_a_pool_is_refused()
    {
        using var input = new TempCaptureFile();
        CaptureFiles.Write(input.Path, Frames(1));
        using var pool = new PacketPool(1);

        Assert.Throws<ArgumentException>(() => new PcapPort("p", pool, new PcapPortOptions()));
        Assert.Throws<ArgumentException>(() => new PcapPort("p", null, new PcapPortOptions { InputPath = input.Path }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PcapPort("p", pool, new PcapPortOptions { InputPath = input.Path, RatePacketsPerSecond = 0 }));
        Assert.Throws<CaptureFormatException>(() => new PcapPort("p", pool, new PcapPortOptions { InputPath = input.Path + ".missing" }));
    }

    private static List<(byte[] Bytes, uint InPort, long Timestamp)> ReceiveAll(PcapPort port, int burst)
    {
        var received = new List<(byte[], uint, long)>();
        var buffers = new PacketBuffer[burst];
        int count;
        while ((count = port.RxBurst(0, buffers)) > 0)
        {
            foreach (var buffer in buffers.AsSpan(0, count))
            {
                received.Add((buffer.Data.ToArray(), buffer.InPort, buffer.Timestamp));
                buffer.Release();
            }
        }
        return received;
    }

    private static List<byte[]> TakeBytes(ReadOnlySpan<PacketBuffer> buffers)
    {
        var bytes = new List<byte[]>();
        foreach (var buffer in buffers)
        {
            bytes.Add(buffer.Data.ToArray());
            buffer.Release();
        }
        return bytes;
    }

    private static PacketBuffer[] Fill(PacketPool pool, IEnumerable<CapturedFrame> frames) =>
        frames.Select(frame =>
        {
            Assert.True(pool.TryRent(out var buffer));
            Assert.True(buffer.TrySetLength(frame.Bytes.Length));
            frame.Bytes.CopyTo(buffer.Data);
            return buffer;
        }).ToArray();

    private static CapturedFrame[] Frames(int count) =>
        Enumerable.Range(0, count).Select(i => new CapturedFrame(Frame(60 + i * 37 % 1400, (ushort)i), 1_700_000_000_000_000_000L + i * 1_001_000L)).ToArray();

    /// A UDP frame of exactly <paramref name="length"/> bytes (at least 42).
    private static byte[] Frame(int length, ushort id = 0)
    {
        var payload = new byte[length - 42];
        for (int i = 0; i < payload.Length; i++) payload[i] = (byte)(i + id);
        var frame = new byte[length];
        int written = IpFrames.WriteUdp(frame, SenderMac, ReceiverMac, new IPv4Address(198, 18, 0, 1), new IPv4Address(198, 18, 0, 2),
            (ushort)(10_000 + id), 9, payload);
        Assert.Equal(length, written);
        return frame;
    }
}
