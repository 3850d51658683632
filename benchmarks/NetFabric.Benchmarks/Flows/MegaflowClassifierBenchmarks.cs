using BenchmarkDotNet.Attributes;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Benchmarks.Flows;

/// The megaflow hit path: a 32-key burst looked up in a classifier of 1k, 64k or 1M flows, all in one subtable
/// (in_port + eth_dst + ipv4_dst) or spread over four subtables with different masks. Reported per key.
[MemoryDiagnoser]
public class MegaflowClassifierBenchmarks
{
    private const int Burst = 32;
    // Bursts cycle through this many keys, so the bigger tables do not sit in cache.
    private const int KeyPool = 1 << 14;

    internal static readonly FlowMask PortMacIp = Mask(static (ref FlowKey b) => { b.InPort = uint.MaxValue; b.EthernetDestination = MacAddress.Broadcast; b.NetworkDestination = new IPv6Address(0, uint.MaxValue); });
    private static readonly FlowMask[] FourMasks =
    [
        PortMacIp,
        Mask(static (ref FlowKey b) => { b.InPort = uint.MaxValue; b.EthernetDestination = MacAddress.Broadcast; }),
        Mask(static (ref FlowKey b) => { b.InPort = uint.MaxValue; b.NetworkDestination = new IPv6Address(0, uint.MaxValue); }),
        Mask(static (ref FlowKey b) => { b.InPort = uint.MaxValue; b.EtherType = 0xFFFF; b.NetworkDestination = new IPv6Address(0, uint.MaxValue); b.TransportDestination = 0xFFFF; }),
    ];

    private MegaflowClassifier _oneSubtable = null!;
    private MegaflowClassifier _fourSubtables = null!;
    private FlowKey[] _oneKeys = null!;
    private FlowKey[] _fourKeys = null!;
    private readonly FlowEntry?[] _results = new FlowEntry?[Burst];
    private int _next;

    [Params(1_000, 65_536, 1_000_000)]
    public int Flows { get; set; }

    private delegate void SetBits(ref FlowKey bits);

    private static FlowMask Mask(SetBits set)
    {
        FlowKey bits = default;
        set(ref bits);
        return new FlowMask(bits);
    }

    // Flow i of subtable s: distinct in_port / MAC / address per flow; the subtable in in_port's top bits (and in
    // the address's top byte for the one mask without in_port), so subtables hold disjoint traffic, as the flows of
    // different forwarding paths do.
    internal static FlowKey FlowKeyOf(int i, int subtable) => new()
    {
        InPort = ((uint)subtable << 24) | (uint)(i & 0xFFFF),
        EthernetDestination = new MacAddress(0x0200_0000_0000UL | (uint)i),
        EthernetSource = new MacAddress(0x0200_0000_0001UL),
        EtherType = EtherType.IPv4,
        NetworkSource = new IPv6Address(0, 0xC612_0001),
        NetworkDestination = new IPv6Address(0, ((uint)(10 + subtable) << 24) | (uint)i),
        NetworkProtocol = IpProtocol.Udp,
        NetworkTtl = 64,
        TransportSource = 1024,
        TransportDestination = (ushort)(2048 + subtable),
        Layers = FlowKeyLayers.Transport,
    };

    [GlobalSetup]
    public void Setup()
    {
        var output = ActionProgram.CreateBuilder().Output(2).Build();
        var random = new Random(42);
        _oneSubtable = new MegaflowClassifier(Flows);
        _fourSubtables = new MegaflowClassifier(Flows);
        for (int i = 0; i < Flows; i++)
        {
            _oneSubtable.Insert(new FlowMatch(FlowKeyOf(i, 0), PortMacIp), output, timeouts: FlowTimeouts.Never);
            _fourSubtables.Insert(new FlowMatch(FlowKeyOf(i / 4, i % 4), FourMasks[i % 4]), output, timeouts: FlowTimeouts.Never);
        }
        _oneKeys = new FlowKey[KeyPool];
        _fourKeys = new FlowKey[KeyPool];
        for (int k = 0; k < KeyPool; k++)
        {
            int i = random.Next(Flows);
            _oneKeys[k] = FlowKeyOf(i, 0);
            _fourKeys[k] = FlowKeyOf(i / 4, i % 4);
        }
        if (_oneSubtable.LookupBatch(_oneKeys, new FlowEntry?[KeyPool]) != KeyPool || _fourSubtables.LookupBatch(_fourKeys, new FlowEntry?[KeyPool]) != KeyPool)
            throw new InvalidOperationException("Every benchmark key must hit.");
        if (_fourSubtables.SubtableCount != 4) throw new InvalidOperationException("Expected four subtables.");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Burst, Description = "LookupBatch(32), 1 subtable, per key")]
    public int OneSubtable()
    {
        int start = _next;
        _next = (start + Burst) & (KeyPool - 1);
        return _oneSubtable.LookupBatch(_oneKeys.AsSpan(start, Burst), _results);
    }

    [Benchmark(OperationsPerInvoke = Burst, Description = "LookupBatch(32), 4 subtables, per key")]
    public int FourSubtables()
    {
        int start = _next;
        _next = (start + Burst) & (KeyPool - 1);
        return _fourSubtables.LookupBatch(_fourKeys.AsSpan(start, Burst), _results);
    }
}

/// Flow installs per second (1e9 / ns per insert) into an empty classifier sized for a million flows. Each
/// invocation installs 2^20 flows into a new classifier; building each match is included.
[MemoryDiagnoser]
public class MegaflowClassifierInsertBenchmarks
{
    private const int Flows = 1 << 20;
    private static readonly FlowMask PortMacIp = new(new FlowKey
    {
        InPort = uint.MaxValue,
        EthernetDestination = MacAddress.Broadcast,
        NetworkDestination = new IPv6Address(0, uint.MaxValue),
    });

    private readonly ActionProgram _output = ActionProgram.CreateBuilder().Output(2).Build();

    [Benchmark(OperationsPerInvoke = Flows, Description = "Insert into an empty 1M classifier, per flow")]
    public int Insert()
    {
        var classifier = new MegaflowClassifier(Flows);
        for (int i = 0; i < Flows; i++)
            classifier.Insert(new FlowMatch(MegaflowClassifierBenchmarks.FlowKeyOf(i, 0), PortMacIp), _output, timeouts: FlowTimeouts.Never, now: 1);
        return classifier.Count;
    }
}
