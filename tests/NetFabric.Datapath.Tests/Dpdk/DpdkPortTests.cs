using System.Runtime.CompilerServices;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Buffers.Internal;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Dpdk.Internal;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Dpdk;

/// Ports on DPDK's in-memory drivers: net_ring (a ring that loops a port's transmissions back to it, and
/// rte_eth_from_rings pairs) and net_null (receives endless 64-byte frames, discards what it is sent).
[Collection("Dpdk")]
public class DpdkPortTests(DpdkFixture fixture)
{
    private static int s_names;

    private static string Unique(string prefix) => $"{prefix}{Interlocked.Increment(ref s_names)}";

    [Fact]
    public unsafe void Frames_sent_on_a_net_ring_port_come_back_byte_identical_and_the_counters_agree()
    {
        var runtime = fixture.Require();
        using var pool = new PacketPool(64);
        using var port = DpdkPort.Create(runtime, Unique("net_ring_loop"));
        var frames = DpdkTraffic.Frames(40);

        // Pool buffers are copied into mbufs on the way out (and go back to their pool)...
        Assert.Equal(frames.Length, DpdkTraffic.SendFromPool(port, pool, frames));
        Assert.Equal(pool.Count, pool.Available);
        var received = DpdkTraffic.ReceiveBuffers(port, frames.Length);
        Assert.Equal(frames, received.Select(b => b.Data.ToArray()));

        // ...and received mbufs go out as they are: the same mbufs come back, no copy either way.
        var first = received.Select(b => (nint)b.Descriptor).ToArray();
        Assert.Equal(frames.Length, port.TxBurst(0, received.ToArray()));
        var again = DpdkTraffic.ReceiveBuffers(port, frames.Length);
        Assert.Equal(first, again.Select(b => (nint)b.Descriptor));
        Assert.Equal(frames, again.Select(b => b.Data.ToArray()));
        foreach (var buffer in again) buffer.Release();

        long bytes = frames.Sum(f => (long)f.Length);
        Assert.Equal(new PortStatistics(2 * frames.Length, 2 * bytes, 2 * frames.Length, 2 * bytes, 0, 0, 0), port.Statistics);
        var device = port.DeviceStatistics;
        Assert.Equal(2 * frames.Length, device.TxPackets);
        Assert.Equal(2 * frames.Length, device.RxPackets);
        Assert.Equal("net_ring", port.DriverName);
        Assert.True(port.SuppressesGCTransition);
        Assert.Equal(LinkState.Up, port.LinkState);
    }

    [Fact]
    public unsafe void A_received_buffer_is_the_mbufs_own_data()
    {
        var runtime = fixture.Require();
        using var pool = new PacketPool(8);
        using var port = DpdkPort.Create(runtime, Unique("net_ring_view"));
        var frames = DpdkTraffic.Frames(4);
        DpdkTraffic.SendFromPool(port, pool, frames);
        var received = DpdkTraffic.ReceiveBuffers(port, frames.Length);
        Assert.Equal(frames.Length, received.Count);

        var mbufs = received.Select(b => (nint)b.Descriptor).ToArray();
        var data = new nint[mbufs.Length];
        var lengths = new ushort[mbufs.Length];
        fixed (nint* m = mbufs)
        fixed (nint* d = data)
        fixed (ushort* l = lengths)
            DpdkNative.BurstData(m, (ushort)mbufs.Length, (byte**)d, l);

        for (int i = 0; i < received.Count; i++)
        {
            Assert.NotEqual(0, mbufs[i]);
            Assert.Equal(data[i], (nint)Unsafe.AsPointer(ref received[i].Data[0]));
            Assert.Equal(lengths[i], received[i].Length);
            // The handle is the rte_mbuf itself: DPDK's own accessors see the frame the buffer shows.
            Assert.Equal(runtime.MbufHeadroom, received[i].Headroom);
            Assert.True(received[i].Descriptor->IsNative);
        }
        foreach (var buffer in received) buffer.Release();
    }

    [Fact]
    public void What_one_end_of_a_ring_pair_sends_the_other_receives_with_header_changes_kept()
    {
        var runtime = fixture.Require();
        using var pool = new PacketPool(64);
        var (left, right) = DpdkPort.CreateRingPair(runtime, Unique("left"), Unique("right"), new DpdkPortOptions { InPort = 9 });
        using (left)
        using (right)
        {
            var frames = DpdkTraffic.Frames(20);
            Assert.Equal(frames.Length, DpdkTraffic.SendFromPool(left, pool, frames));
            Assert.Empty(DpdkTraffic.Receive(left, 1, TimeSpan.FromMilliseconds(50)));
            var received = DpdkTraffic.ReceiveBuffers(right, frames.Length);
            Assert.Equal(frames, received.Select(b => b.Data.ToArray()));
            Assert.All(received, b => Assert.Equal(9u, b.InPort));

            // A worker pops 4 bytes and pushes 8: the mbuf must go out with the descriptor's new offset and length.
            foreach (var buffer in received)
            {
                Assert.True(buffer.TryTrimFront(4));
                Assert.True(buffer.TryPrepend(8, out var pushed));
                pushed.Fill(0xAB);
            }
            Assert.Equal(frames.Length, right.TxBurst(0, received.ToArray()));
            var back = DpdkTraffic.Receive(left, frames.Length);
            Assert.Equal(frames.Select(f => Enumerable.Repeat((byte)0xAB, 8).Concat(f.Skip(4)).ToArray()), back);

            Assert.Equal(left.Statistics.TxPackets, right.DeviceStatistics.RxPackets);
            Assert.Equal(left.Statistics.TxBytes, right.Statistics.RxBytes);
            Assert.Equal(right.Statistics.TxBytes, left.Statistics.RxBytes);
        }
    }

    [Fact]
    public void A_received_mbuf_carries_no_metadata_from_its_previous_trip()
    {
        var runtime = fixture.Require();
        using var pool = new PacketPool(16);
        var (left, right) = DpdkPort.CreateRingPair(runtime, Unique("meta_left"), Unique("meta_right"), new DpdkPortOptions { InPort = 3 });
        using (left)
        using (right)
        {
            var frames = DpdkTraffic.Frames(6);
            DpdkTraffic.SendFromPool(left, pool, frames);
            var received = DpdkTraffic.ReceiveBuffers(right, frames.Length);
            // A worker decapsulated these, hashed them and stamped a time; the same mbufs then go round again.
            foreach (var buffer in received)
            {
                Assert.Equal(default, buffer.Tunnel);
                Assert.Equal(0u, buffer.FlowHash);
                Assert.Equal(0L, buffer.Timestamp);
                buffer.Tunnel = new TunnelMetadata(42, new IPv4Address(0xC612_0001), new IPv4Address(0xC612_0002));
                buffer.FlowHash = 0xDEAD_BEEF;
                buffer.Timestamp = 123_456_789;
                buffer.InPort = 77;
                Assert.Equal(42UL, buffer.Tunnel.Id);
                Assert.Equal(0xDEAD_BEEFu, buffer.FlowHash);
            }
            var mbufs = received.Select(b => b).ToArray();
            Assert.Equal(frames.Length, right.TxBurst(0, mbufs));

            // Received again on the other end: the same mbufs, with the receiving port's number and nothing else.
            var again = DpdkTraffic.ReceiveBuffers(left, frames.Length);
            Assert.Equal(mbufs, again);
            Assert.All(again, b =>
            {
                Assert.Equal(3u, b.InPort);
                Assert.Equal(default, b.Tunnel);
                Assert.Equal(0u, b.FlowHash);
                Assert.Equal(0L, b.Timestamp);
            });
            foreach (var buffer in again) buffer.Release();
        }
    }

    [Fact]
    public void A_burst_mixing_mbufs_and_pool_buffers_goes_out_whole_and_in_order()
    {
        var runtime = fixture.Require();
        using var pool = new PacketPool(16);
        using var port = DpdkPort.Create(runtime, Unique("net_ring_mixed"));
        var frames = DpdkTraffic.Frames(8);
        DpdkTraffic.SendFromPool(port, pool, frames[..4]);
        var mbufs = DpdkTraffic.ReceiveBuffers(port, 4);

        // mbuf, pool buffer, mbuf, pool buffer, ...: the shim refuses the burst, the port copies the pool buffers in.
        var burst = new List<PacketBuffer>();
        for (int i = 0; i < 4; i++)
        {
            burst.Add(mbufs[i]);
            Assert.True(pool.TryRent(out var buffer));
            Assert.True(buffer.TrySetLength(frames[4 + i].Length));
            frames[4 + i].CopyTo(buffer.Data);
            burst.Add(buffer);
        }
        Assert.Equal(8, port.TxBurst(0, burst.ToArray()));
        Assert.Equal(pool.Count, pool.Available);

        var expected = Enumerable.Range(0, 4).SelectMany(i => new[] { frames[i], frames[4 + i] });
        Assert.Equal(expected, DpdkTraffic.Receive(port, 8));
        Assert.Equal(0, port.Statistics.TxDrops);
    }

    [Fact]
    public void A_net_ring_device_whose_port_is_named_after_its_ring_is_found_after_the_probe()
    {
        var runtime = fixture.Require();
        using var pool = new PacketPool(16);
        string ring = Unique("nfr");
        // With nodeaction the driver names the port after the ring, not after the device.
        using var port = DpdkPort.Create(runtime, $"{Unique("net_ring_node")},nodeaction={ring}:0:CREATE");
        Assert.Equal("net_ring", port.DriverName);
        var frames = DpdkTraffic.Frames(4);
        Assert.Equal(frames.Length, DpdkTraffic.SendFromPool(port, pool, frames));
        var received = DpdkTraffic.ReceiveBuffers(port, frames.Length);
        Assert.Equal(frames, received.Select(b => b.Data.ToArray()));
        foreach (var buffer in received) buffer.Release();
    }

    [Fact]
    public void Released_mbufs_go_back_to_the_mempool()
    {
        var runtime = fixture.Require();
        using var port = DpdkPort.Create(runtime, Unique("net_null_release"));
        runtime.FlushReleases();
        int before = runtime.AvailableMbufs;

        var received = DpdkTraffic.ReceiveBuffers(port, 200);
        Assert.True(received.Count >= 200, $"received {received.Count}");
        Assert.Equal(before - received.Count, runtime.AvailableMbufs);
        foreach (var buffer in received) buffer.Release();
        runtime.FlushReleases();

        Assert.Equal(before, runtime.AvailableMbufs);
        Assert.All(received.Take(1), b => Assert.Equal(64, b.Length));
    }

    [Fact]
    public void Releasing_an_mbuf_buffer_twice_is_counted_and_ignored()
    {
        var runtime = fixture.Require();
        using var port = DpdkPort.Create(runtime, Unique("net_null_double"));
        runtime.FlushReleases();
        int before = runtime.AvailableMbufs;
        long doubles = runtime.DoubleReleases;
        var received = DpdkTraffic.ReceiveBuffers(port, 3);

        foreach (var buffer in received) buffer.Release();
        foreach (var buffer in received) buffer.Release();
        runtime.FlushReleases();

        Assert.Equal(doubles + received.Count, runtime.DoubleReleases);
        Assert.Equal(before, runtime.AvailableMbufs);
    }

    [Fact]
    public void A_clone_of_an_mbuf_buffer_is_a_clone_pool_buffer_that_can_be_sent_and_nothing_leaks()
    {
        var runtime = fixture.Require();
        using var pool = new PacketPool(8);
        using var port = DpdkPort.Create(runtime, Unique("net_ring_clone"));
        var frames = DpdkTraffic.Frames(2);
        DpdkTraffic.SendFromPool(port, pool, frames);
        var received = DpdkTraffic.ReceiveBuffers(port, 2);
        int clonesAvailable = runtime.ClonePool.Available;

        Assert.True(PacketPool.TryClone(received[0], out var clone));
        Assert.Equal(clonesAvailable - 1, runtime.ClonePool.Available);
        Assert.Equal(frames[0], clone.Data.ToArray());
        Assert.Equal(received[0].Headroom, clone.Headroom);
        // The original and its clone both go out; the clone is copied into an mbuf and returned to the clone pool.
        Assert.Equal(3, port.TxBurst(0, [received[0], clone, received[1]]));
        Assert.Equal(clonesAvailable, runtime.ClonePool.Available);
        Assert.Equal([frames[0], frames[0], frames[1]], DpdkTraffic.Receive(port, 3));
    }

    [Fact]
    public void A_pool_buffer_too_long_for_an_mbuf_is_dropped_and_counted_and_the_rest_of_the_burst_goes_out()
    {
        var runtime = fixture.Require();
        using var jumboPool = new PacketPool(4, dataSize: 9000);
        using var port = DpdkPort.Create(runtime, Unique("net_ring_jumbo"));
        runtime.FlushReleases();
        int before = runtime.AvailableMbufs;
        byte[] small = DpdkTraffic.Frames(1)[0];
        byte[] jumbo = new byte[runtime.Options.MbufDataSize + 1];

        Assert.Equal(1, DpdkTraffic.SendFromPool(port, jumboPool, [jumbo, small]));

        Assert.Equal(jumboPool.Count, jumboPool.Available);
        Assert.Equal(1, port.Statistics.TxDrops);
        Assert.Equal([small], DpdkTraffic.Receive(port, 1));
        runtime.FlushReleases();
        Assert.Equal(before, runtime.AvailableMbufs);
    }

    [Fact]
    public void A_net_null_port_with_two_queues_receives_and_sends_on_both()
    {
        var runtime = fixture.Require();
        using var port = DpdkPort.Create(runtime, Unique("net_null_queues"), new DpdkPortOptions { Queues = 2, RxDescriptors = 256, TxDescriptors = 256 });
        Assert.Equal(2, port.QueueCount);
        Assert.Equal("net_null", port.DriverName);

        for (int queue = 0; queue < 2; queue++)
        {
            var received = DpdkTraffic.ReceiveBuffers(port, 32, queue: queue);
            Assert.True(received.Count >= 32, $"queue {queue} received {received.Count}");
            Assert.Equal(received.Count, port.TxBurst(queue, received.ToArray()));
        }

        var statistics = port.Statistics;
        Assert.Equal(statistics.RxPackets, statistics.TxPackets);
        Assert.Equal(statistics.RxPackets * 64, statistics.RxBytes);
        Assert.Equal(statistics.TxPackets, port.DeviceStatistics.TxPackets);
        Assert.Throws<ArgumentOutOfRangeException>(() => port.RxBurst(2, new PacketBuffer[1]));
    }

    [Fact]
    public void A_thread_is_registered_with_dpdk_on_its_first_burst()
    {
        var runtime = fixture.Require();
        using var port = DpdkPort.Create(runtime, Unique("net_null_thread"));
        int registered = runtime.RegisteredThreads;
        int lcoreBefore = -2, lcoreAfter = -2, received = 0;

        var thread = new Thread(() =>
        {
            lcoreBefore = DpdkThread.Lcore;
            var burst = new PacketBuffer[8];
            received = port.RxBurst(0, burst);
            lcoreAfter = DpdkNative.LcoreId();
            foreach (var buffer in burst.AsSpan(0, received)) buffer.Release();
            runtime.FlushReleases();
        });
        thread.Start();
        thread.Join();

        Assert.Equal(-1, lcoreBefore);
        Assert.True(lcoreAfter > 0, $"lcore {lcoreAfter}");
        Assert.Equal(registered + 1, runtime.RegisteredThreads);
        Assert.True(received > 0);
    }

    [Fact]
    public void A_disposed_port_receives_nothing_drops_what_it_is_given_and_its_name_can_be_opened_again()
    {
        var runtime = fixture.Require();
        using var pool = new PacketPool(4);
        string name = Unique("net_ring_reopen");
        var port = DpdkPort.Create(runtime, name);
        DpdkTraffic.SendFromPool(port, pool, DpdkTraffic.Frames(2));
        port.Dispose();

        Assert.Equal(0, port.RxBurst(0, new PacketBuffer[4]));
        Assert.Equal(0, DpdkTraffic.SendFromPool(port, pool, DpdkTraffic.Frames(3)));
        Assert.Equal(pool.Count, pool.Available);
        Assert.Equal(3, port.Statistics.TxDrops);
        Assert.Equal(2, port.DeviceStatistics.TxPackets);
        Assert.Equal(LinkState.Down, port.LinkState);

        using var again = DpdkPort.Create(runtime, name);
        Assert.Equal(LinkState.Up, again.LinkState);
    }

    [Fact]
    public void Opening_an_open_device_twice_or_an_unknown_driver_is_a_port_exception_naming_it()
    {
        var runtime = fixture.Require();
        string name = Unique("net_null_twice");
        using var port = DpdkPort.Create(runtime, name);

        var twice = Assert.Throws<PortException>(() => DpdkPort.Create(runtime, name));
        Assert.Contains("already open", twice.Message, StringComparison.Ordinal);
        Assert.Equal(LinkState.Up, port.LinkState);

        var unknown = Assert.Throws<PortException>(() => DpdkPort.Create(runtime, "net_nosuchdriver0"));
        Assert.Contains("'net_nosuchdriver0'", unknown.Message, StringComparison.Ordinal);
        Assert.NotEqual(0, unknown.NativeErrorCode);

        var tooMany = Assert.Throws<PortException>(() => DpdkPort.Create(runtime, Unique("net_ring_queues"), new DpdkPortOptions { Queues = 64 }));
        Assert.Contains("queues", tooMany.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposing_a_port_while_another_thread_bursts_on_it_waits_for_the_burst_and_stops_it()
    {
        var runtime = fixture.Require();
        var port = DpdkPort.Create(runtime, Unique("net_null_race"));
        using var started = new ManualResetEventSlim();
        long bursts = 0;
        var worker = new Thread(() =>
        {
            var burst = new PacketBuffer[32];
            while (true)
            {
                int count = port.RxBurst(0, burst);
                started.Set();
                if (count == 0 && Volatile.Read(ref bursts) > 0) break;
                if (count > 0) port.TxBurst(0, burst.AsSpan(0, count));
                Interlocked.Increment(ref bursts);
            }
            runtime.FlushReleases();
        });
        worker.Start();
        Assert.True(started.Wait(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));

        port.Dispose();

        Assert.True(worker.Join(TimeSpan.FromSeconds(5)));
        Assert.True(bursts > 0);
        var statistics = port.Statistics;
        Assert.Equal(statistics.RxPackets, statistics.TxPackets + statistics.TxDrops);
    }
}
