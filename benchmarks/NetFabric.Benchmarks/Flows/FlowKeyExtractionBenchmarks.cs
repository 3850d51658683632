using BenchmarkDotNet.Attributes;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Benchmarks.Flows;

/// Cost of turning a received frame into a FlowKey: the first thing every packet pays.
[MemoryDiagnoser]
public class FlowKeyExtractionBenchmarks
{
    private byte[] _ipv4Udp64 = null!;
    private byte[] _ipv6Tcp1500 = null!;
    private byte[] _vxlan = null!;

    [GlobalSetup]
    public void Setup()
    {
        var a = MacAddress.Parse("02:00:00:00:00:01");
        var b = MacAddress.Parse("02:00:00:00:00:02");
        // 14 + 20 + 8 + 22 = 64 bytes on the wire (without FCS).
        _ipv4Udp64 = new byte[64];
        IpFrames.WriteUdp(_ipv4Udp64, a, b, IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"), 1024, 2048, new byte[22]);
        // 14 + 40 + 20 + 1426 = 1500 bytes.
        _ipv6Tcp1500 = new byte[1500];
        IpFrames.WriteTcp(_ipv6Tcp1500, a, b, IPv6Address.Parse("2001:db8::1"), IPv6Address.Parse("2001:db8::2"), 40000, 443, 1, 1, TcpFlags.Ack, 512, new byte[1426]);
        // A 64-byte inner frame in VXLAN over IPv4 (50 bytes of outer headers).
        _vxlan = new byte[64 + 50];
        TunnelFrames.WriteVxlan(_vxlan, _ipv4Udp64, a, b, IPv4Address.Parse("192.0.2.1"), IPv4Address.Parse("192.0.2.2"), 5001, 50000);
    }

    [Benchmark(Baseline = true, Description = "IPv4/UDP 64 B")]
    public ushort Ipv4Udp64()
    {
        FlowKey.Extract(_ipv4Udp64, 1, out var key);
        return key.TransportDestination;
    }

    [Benchmark(Description = "IPv6/TCP 1500 B")]
    public ushort Ipv6Tcp1500()
    {
        FlowKey.Extract(_ipv6Tcp1500, 1, out var key);
        return key.TransportDestination;
    }

    [Benchmark(Description = "VXLAN: decapsulate + inner key")]
    public ushort Vxlan()
    {
        TunnelFrames.TryDecapsulate(_vxlan, out var tunnel, out int innerOffset);
        FlowKey.Extract(_vxlan.AsSpan(innerOffset), 1, tunnel, out var key);
        return key.TransportDestination;
    }
}
