using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Flows;

/// A key drawn from a deliberately small space (96 keys), so generated flows cover generated keys often and
/// overlap each other often. Each field is an index into the values below.
public sealed record KeyModel(int InPort, int Mac, int EtherType, int Ip, int Port, int Layers)
{
    private static readonly ulong[] Macs = [0x02_00_00_00_00_0A, 0x02_00_00_00_00_0B];
    private static readonly ushort[] EtherTypes = [NetFabric.Datapath.Protocols.EtherType.IPv4, NetFabric.Datapath.Protocols.EtherType.IPv6];
    // 10.0.0.1, 10.0.0.2 and 10.0.1.1: a /24 mask groups the first two.
    private static readonly uint[] Ips = [0x0A00_0001, 0x0A00_0002, 0x0A00_0101];
    private static readonly ushort[] Ports = [80, 443];
    private static readonly FlowKeyLayers[] LayerValues = [FlowKeyLayers.Network, FlowKeyLayers.Transport];

    public static readonly Gen<KeyModel> Gen =
        from inPort in FsCheck.Fluent.Gen.Choose(0, 1)
        from mac in FsCheck.Fluent.Gen.Choose(0, 1)
        from etherType in FsCheck.Fluent.Gen.Choose(0, 1)
        from ip in FsCheck.Fluent.Gen.Choose(0, 2)
        from port in FsCheck.Fluent.Gen.Choose(0, 1)
        from layers in FsCheck.Fluent.Gen.Choose(0, 1)
        select new KeyModel(inPort, mac, etherType, ip, port, layers);

    /// Every key of the space.
    public static readonly FlowKey[] All =
        [.. from inPort in Enumerable.Range(0, 2)
            from mac in Enumerable.Range(0, 2)
            from etherType in Enumerable.Range(0, 2)
            from ip in Enumerable.Range(0, 3)
            from port in Enumerable.Range(0, 2)
            from layers in Enumerable.Range(0, 2)
            select new KeyModel(inPort, mac, etherType, ip, port, layers).ToKey()];

    public FlowKey ToKey() => new()
    {
        InPort = (uint)InPort + 1,
        EthernetDestination = new MacAddress(Macs[Mac]),
        EthernetSource = new MacAddress(0x02_00_00_00_00_01),
        EtherType = EtherTypes[EtherType],
        NetworkDestination = new IPv6Address(0, Ips[Ip]),
        NetworkSource = new IPv6Address(0, 0x0A00_0064),
        NetworkProtocol = IpProtocol.Udp,
        NetworkTtl = 64,
        TransportSource = 5000,
        TransportDestination = Ports[Port],
        Layers = LayerValues[Layers],
    };
}

/// The masks flows are generated with: nested ones (0 ⊂ 1, 5 ⊂ 0), disjoint-looking ones and a prefix.
public static class ClassifierMasks
{
    public static readonly FlowMask InPortAndEthernetDestination = Make(b => { b.InPort = uint.MaxValue; b.EthernetDestination = MacAddress.Broadcast; });

    public static readonly FlowMask[] All =
    [
        InPortAndEthernetDestination,
        Make(b => { b.InPort = uint.MaxValue; b.EthernetDestination = MacAddress.Broadcast; b.NetworkDestination = new IPv6Address(0, uint.MaxValue); }),
        Make(b => { b.EtherType = 0xFFFF; b.NetworkDestination = new IPv6Address(0, uint.MaxValue); b.TransportDestination = 0xFFFF; }),
        Make(b => b.NetworkDestination = new IPv6Address(0, 0xFFFF_FF00)),
        FlowMask.ParseStateOnly,
        Make(b => b.InPort = uint.MaxValue),
    ];

    public static FlowMask Make(Action<FlowKeyBits> set)
    {
        var bits = new FlowKeyBits();
        set(bits);
        return new FlowMask(bits.Key);
    }

    /// A mutable box so the lambdas above can set fields of a struct.
    public sealed class FlowKeyBits
    {
        public FlowKey Key;
        public uint InPort { set => Key.InPort = value; }
        public MacAddress EthernetDestination { set => Key.EthernetDestination = value; }
        public ushort EtherType { set => Key.EtherType = value; }
        public IPv6Address NetworkDestination { set => Key.NetworkDestination = value; }
        public ushort TransportDestination { set => Key.TransportDestination = value; }
    }
}

/// A flow as the reference model sees it: what the classifier must return is computed from these alone.
public sealed record ModelFlow(FlowEntry Entry, FlowMatch Match, int Priority, long Order, ulong[] Tags, FlowTimeouts Timeouts, long Created)
{
    public long LastUsed { get; set; } = Created;

    public bool IsExpired(long now)
    {
        long idle = Timeouts.Idle.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
        long hard = Timeouts.Hard.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
        return (idle != 0 && now - LastUsed >= idle) || (hard != 0 && now - Created >= hard);
    }

    /// The precedence rule by linear scan: highest priority, then latest installed.
    public static FlowEntry? Best(IEnumerable<ModelFlow> live, in FlowKey key)
    {
        ModelFlow? best = null;
        foreach (var flow in live)
            if (flow.Match.Covers(key) && (best is null || flow.Priority > best.Priority || (flow.Priority == best.Priority && flow.Order > best.Order)))
                best = flow;
        return best?.Entry;
    }
}

public static class TestActions
{
    public static ActionProgram Output(uint port) => ActionProgram.CreateBuilder().Output(port).Build();
}
