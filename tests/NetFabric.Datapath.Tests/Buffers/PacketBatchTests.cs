using NetFabric.Datapath.Buffers;

namespace NetFabric.Datapath.Tests.Buffers;

public class PacketBatchTests
{
    [Fact]
    public void A_batch_holds_up_to_its_capacity_and_releases_what_it_holds()
    {
        using var pool = new PacketPool(8);
        var batch = new PacketBatch(4);
        for (int i = 0; i < 4; i++)
        {
            pool.TryRent(out var buffer);
            Assert.True(batch.TryAdd(buffer));
        }
        pool.TryRent(out var extra);
        Assert.False(batch.TryAdd(extra));
        Assert.True(batch.IsFull);
        Assert.Equal(3, pool.Available);
        batch.ReleaseAll();
        extra.Release();
        Assert.Equal(0, batch.Count);
        Assert.Equal(8, pool.Available);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PacketBatch(65));
    }
}
