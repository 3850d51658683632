using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Ports;

namespace NetFabric.Datapath.Tests.Ports;

public class RingPortTests
{
    [Fact]
    public void What_one_end_sends_the_other_receives_in_order_and_counted()
    {
        using var pool = new PacketPool(16);
        var (a, b) = RingPort.CreatePair("a", "b", capacity: 8);
        Span<PacketBuffer> send = stackalloc PacketBuffer[5];
        pool.RentBatch(send);
        for (int i = 0; i < send.Length; i++)
        {
            send[i].TrySetLength(10 + i);
            send[i].Data[0] = (byte)i;
        }
        Assert.Equal(5, a.TxBurst(0, send));

        Span<PacketBuffer> received = stackalloc PacketBuffer[8];
        Assert.Equal(5, b.RxBurst(0, received));
        for (int i = 0; i < 5; i++) Assert.Equal((byte)i, received[i].Data[0]);
        Assert.Equal(0, b.RxBurst(0, received));
        Assert.Equal(new PortStatistics(0, 0, 5, 60, 0, 0, 0), a.Statistics);
        Assert.Equal(new PortStatistics(5, 60, 0, 0, 0, 0, 0), b.Statistics);
        pool.Return(received[..5]);
        Assert.Equal(16, pool.Available);
    }

    [Fact]
    public void A_full_ring_drops_the_excess_and_releases_it()
    {
        using var pool = new PacketPool(16);
        var (a, b) = RingPort.CreatePair("a", "b", capacity: 4);
        Span<PacketBuffer> send = stackalloc PacketBuffer[6];
        pool.RentBatch(send);
        Assert.Equal(4, a.TxBurst(0, send));
        Assert.Equal(2, a.Statistics.TxDrops);
        Assert.Equal(12, pool.Available); // the two dropped buffers went back to the pool
        Assert.Equal(4, b.Pending);
        b.Dispose();
        Assert.Equal(16, pool.Available);
        Assert.Equal(LinkState.Down, a.LinkState);
        Assert.Throws<ArgumentOutOfRangeException>(() => RingPort.CreatePair("x", "y", capacity: 3));
    }

    [Fact]
    public void A_producer_and_a_consumer_thread_move_every_packet_once_in_order()
    {
        using var pool = new PacketPool(256);
        var (a, b) = RingPort.CreatePair("a", "b", capacity: 64);
        const int total = 200_000;
        var producer = new Thread(() =>
        {
            var burst = new PacketBuffer[16];
            int sent = 0;
            while (sent < total)
            {
                int count = pool.RentBatch(burst.AsSpan(0, Math.Min(16, total - sent)));
                for (int i = 0; i < count; i++)
                {
                    burst[i].TrySetLength(4);
                    BitConverter.TryWriteBytes(burst[i].Data, sent + i);
                }
                // Send only what fits so nothing is dropped: this test checks order and completeness.
                int accepted = 0;
                while (accepted < count)
                {
                    int room = Math.Min(count - accepted, 64 - b.Pending);
                    if (room > 0) accepted += a.TxBurst(0, burst.AsSpan(accepted, room));
                }
                sent += count;
            }
        });
        producer.Start();
        int expected = 0;
        var received = new PacketBuffer[32];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (expected < total && DateTime.UtcNow < deadline)
        {
            int count = b.RxBurst(0, received);
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(expected++, BitConverter.ToInt32(received[i].Data));
                received[i].Release();
            }
        }
        producer.Join();
        Assert.Equal(total, expected);
        Assert.Equal(0, a.Statistics.TxDrops);
    }
}
