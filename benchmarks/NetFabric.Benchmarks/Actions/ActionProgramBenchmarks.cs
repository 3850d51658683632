using BenchmarkDotNet.Attributes;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Benchmarks.Actions;

/// Cost of executing a compiled action program on one packet: what every cached-flow hit pays after lookup.
/// Each iteration first restores the packet (reset the buffer, copy the original frame back: the "restore only"
/// baseline) so every run rewrites the same bytes; subtract the baseline for the program's own cost.
[MemoryDiagnoser]
public class ActionProgramBenchmarks
{
    private PacketPool _pool = null!;
    private PacketBuffer _packet;
    private readonly HoldingSink _sink = new();
    private byte[] _ipv4Udp64 = null!;
    private byte[] _vxlan = null!;
    private ActionProgram _routing = null!;
    private ActionProgram _nat = null!;
    private ActionProgram _encapsulate = null!;
    private ActionProgram _decapsulate = null!;

    [GlobalSetup]
    public void Setup()
    {
        var a = MacAddress.Parse("02:00:00:00:00:01");
        var b = MacAddress.Parse("02:00:00:00:00:02");
        // 14 + 20 + 8 + 22 = 64 bytes on the wire (without FCS).
        _ipv4Udp64 = new byte[64];
        IpFrames.WriteUdp(_ipv4Udp64, a, b, IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"), 1024, 2048, new byte[22]);
        _vxlan = new byte[64 + TunnelFrames.VxlanIpv4Overhead];
        TunnelFrames.WriteVxlan(_vxlan, _ipv4Udp64, a, b, IPv4Address.Parse("192.0.2.1"), IPv4Address.Parse("192.0.2.2"), 5001, 50000);

        _routing = ActionProgram.CreateBuilder()
            .SetEthernetSource(MacAddress.Parse("02:00:00:00:00:aa")).SetEthernetDestination(MacAddress.Parse("02:00:00:00:00:bb"))
            .DecrementTtl().Output(1).Build();
        _nat = ActionProgram.CreateBuilder().SetIpv4Source(IPv4Address.Parse("203.0.113.7")).SetTransportSource(40000).Output(1).Build();
        var template = TunnelTemplate.Vxlan(a, b, IPv4Address.Parse("192.0.2.1"), IPv4Address.Parse("192.0.2.2"), 5001);
        _encapsulate = ActionProgram.CreateBuilder().Encapsulate(template).Output(1).Build();
        _decapsulate = ActionProgram.CreateBuilder().Decapsulate().Output(1).Build();

        _pool = new PacketPool(4);
        _pool.TryRent(out _packet);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _packet.Release();
        _pool.Dispose();
    }

    private void Restore(byte[] frame, uint flowHash = 0)
    {
        _packet.Reset();
        _packet.TrySetLength(frame.Length);
        frame.CopyTo(_packet.Data);
        _packet.FlowHash = flowHash;
    }

    [Benchmark(Baseline = true, Description = "restore only (64 B)")]
    public int RestoreOnly()
    {
        Restore(_ipv4Udp64);
        return _packet.Length;
    }

    [Benchmark(Description = "routing: 2 MACs + dec_ttl + output")]
    public int Routing()
    {
        Restore(_ipv4Udp64);
        _routing.Execute(_packet, _sink);
        return _sink.Last;
    }

    [Benchmark(Description = "NAT: IPv4 src + L4 src + output")]
    public int Nat()
    {
        Restore(_ipv4Udp64);
        _nat.Execute(_packet, _sink);
        return _sink.Last;
    }

    [Benchmark(Description = "VXLAN encap (flow hash set)")]
    public int EncapsulateWithFlowHash()
    {
        Restore(_ipv4Udp64, 0x9E37_79B9);
        _encapsulate.Execute(_packet, _sink);
        return _sink.Last;
    }

    [Benchmark(Description = "VXLAN encap (entropy hash)")]
    public int EncapsulateWithEntropyHash()
    {
        Restore(_ipv4Udp64);
        _encapsulate.Execute(_packet, _sink);
        return _sink.Last;
    }

    [Benchmark(Description = "VXLAN decap (114 B)")]
    public int Decapsulate()
    {
        Restore(_vxlan);
        _decapsulate.Execute(_packet, _sink);
        return _sink.Last;
    }

    /// Keeps the buffer (the benchmark owns it and restores it each iteration).
    private sealed class HoldingSink : IActionSink
    {
        public int Last;

        public void Output(uint port, PacketBuffer packet) => Last = packet.Length;

        public void ToResolver(PacketBuffer packet, ResolverReason reason) => Last = -1;

        public void Drop(PacketBuffer packet, DropReason reason) => Last = -2;
    }
}
