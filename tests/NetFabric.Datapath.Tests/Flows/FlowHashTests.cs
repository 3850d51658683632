using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Flows;

/// FlowHash.Of indexes the exact-match cache and spreads flows over workers: structured traffic (consecutive
/// addresses, ports, in-ports — what a data centre actually sends) must neither collide nor bunch in the low bits.
public class FlowHashTests
{
    private static IEnumerable<FlowKey> StructuredKeys()
    {
        for (uint port = 1; port <= 4; port++)
        for (uint host = 0; host < 256; host++)
        for (ushort source = 1024; source < 1024 + 64; source++)
        {
            var key = default(FlowKey);
            key.InPort = port;
            key.EtherType = 0x0800;
            key.NetworkSource = new IPv6Address(0, 0xC612_0000u + host);
            key.NetworkDestination = new IPv6Address(0, 0xC612_8000u + (host ^ port));
            key.NetworkProtocol = 17;
            key.TransportSource = source;
            key.TransportDestination = (ushort)(4789 + port);
            yield return key;
        }
    }

    [Fact]
    public void Structured_keys_get_distinct_hashes_spread_evenly_over_the_low_bits()
    {
        var hashes = StructuredKeys().Select(k => FlowHash.Of(k)).ToArray();
        Assert.Equal(4 * 256 * 64, hashes.Length);
        Assert.Equal(hashes.Length, hashes.Distinct().Count());

        // 8,192 buckets (the exact-match cache's default size) for 65,536 keys: 8 per bucket on average. A hash
        // that left the varying fields' bits out of the low bits would leave most buckets empty and overfill others.
        var buckets = new int[8192];
        foreach (ulong hash in hashes) buckets[hash & 8191]++;
        Assert.True(buckets.Max() <= 24, $"fullest bucket {buckets.Max()}");
        Assert.True(buckets.Count(b => b == 0) < 20, $"{buckets.Count(b => b == 0)} empty buckets");

        // Worker distribution (hash modulo the worker count) for 3 workers: within 2 % of a third each.
        var workers = hashes.GroupBy(h => h % 3).Select(g => g.Count()).ToArray();
        Assert.All(workers, n => Assert.InRange(n, hashes.Length / 3 * 0.98, hashes.Length / 3 * 1.02));
    }

    [Fact]
    public void A_change_in_any_single_bit_of_the_key_changes_the_hash()
    {
        var key = StructuredKeys().First();
        ulong hash = FlowHash.Of(key);
        for (int bit = 0; bit < FlowKey.Size * 8; bit++)
        {
            var changed = key;
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<FlowKey>(ref changed));
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(hash, FlowHash.Of(changed));
        }
    }
}
