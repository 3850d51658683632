using BenchmarkDotNet.Attributes;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Benchmarks.Protocols;

/// RFC 1071 full checksums at the two sizes that matter (minimum frame, full MTU) and the RFC 1624
/// incremental update a router or NAT pays per rewritten field instead.
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private byte[] _small = null!;
    private byte[] _large = null!;
    private ushort _checksum;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _small = new byte[64];
        _large = new byte[1500];
        random.NextBytes(_small);
        random.NextBytes(_large);
        _checksum = Checksum.Compute(_small);
    }

    [Benchmark(Description = "Full, 64 B")]
    public ushort Full64() => Checksum.Compute(_small);

    [Benchmark(Description = "Full, 1500 B")]
    public ushort Full1500() => Checksum.Compute(_large);

    [Benchmark(Description = "Incremental, 16-bit field (TTL)")]
    public ushort Incremental16() => Checksum.Update(_checksum, (ushort)0x4011, (ushort)0x3F11);

    [Benchmark(Description = "Incremental, 32-bit field (IPv4 address)")]
    public ushort Incremental32() => Checksum.Update(_checksum, 0xC612_0001u, 0xC000_0201u);
}
