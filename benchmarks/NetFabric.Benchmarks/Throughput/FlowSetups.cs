using System.Diagnostics;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.Topology;

namespace NetFabric.Benchmarks.Throughput;

/// <summary>
/// Flow setups per second on one core: a miss simulated by the decision engine through two linked bridges and the
/// resulting megaflow installed, as a worker does on an upcall. Every setup is a distinct (source, destination)
/// MAC pair between VMs the bridges have already learned, so each one is a unicast decision across both bridges.
/// </summary>
internal static class FlowSetups
{
    public static (long Setups, double Seconds, double BytesPerFlow) Run(int alreadyCached, int setups, bool routed = false, MegaflowClassifier? into = null)
    {
        int hosts = (int)Math.Ceiling(Math.Sqrt(alreadyCached + setups)) + 1;
        var topology = routed ? Routed(hosts) : Bridged();
        var classifier = into ?? new MegaflowClassifier(alreadyCached + setups + 1024);
        using var engine = new DecisionEngine(topology, new Dictionary<string, uint> { ["vm1"] = 1, ["vm2"] = 2 }) { Flows = classifier };
        _routed = routed;

        // Learn every host: sources behind vm1 (port 1), destinations behind vm2 (port 2).
        for (int h = 0; h < hosts; h++)
        {
            Resolve(engine, Key(1, Mac(1, h), MacAddress.Broadcast));
            Resolve(engine, Key(2, Mac(2, h), MacAddress.Broadcast));
        }
        classifier.InvalidateAll();
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        int pair = 0;
        for (int i = 0; i < alreadyCached; i++, pair++) Install(classifier, engine, pair, hosts);
        double bytesPerFlow = alreadyCached == 0 ? double.NaN : (GC.GetTotalMemory(forceFullCollection: true) - before) / (double)alreadyCached;

        int gen0 = GC.CollectionCount(0), gen1 = GC.CollectionCount(1), gen2 = GC.CollectionCount(2);
        var pause = GC.GetTotalPauseDuration();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < setups; i++, pair++) Install(classifier, engine, pair, hosts);
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"    GC: gen0 {GC.CollectionCount(0) - gen0}, gen1 {GC.CollectionCount(1) - gen1}, gen2 {GC.CollectionCount(2) - gen2}, pause {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:0} ms of {seconds * 1000:0} ms (CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds:0} ms); {(GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)setups:0} B allocated per setup");
        if (classifier.Count != alreadyCached + setups)
            Console.WriteLine($"    warning: {classifier.Count} flows cached, expected {alreadyCached + setups}");
        return (setups, seconds, bytesPerFlow);
    }

    private static bool _routed;

    private static TopologySnapshot Bridged() => new TopologyBuilder()
        .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("uplink"))
        .Bridge("br2", b => b.Port("vm2", exterior: "vm2").Port("downlink"))
        .Link("br1/uplink", "br2/downlink")
        .Build();

    // bridge -> router -> bridge: sources on 198.18.0.0/16 behind vm1, destinations on 198.19.0.0/16 behind vm2,
    // the destinations' MACs known to the router through the second bridge's static ARP entries.
    private static TopologySnapshot Routed(int hosts) => new TopologyBuilder()
        .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("uplink"))
        .Bridge("br2", b =>
        {
            b.Port("vm2", exterior: "vm2").Port("uplink");
            for (int h = 0; h < hosts; h++) b.StaticArp(Ip(2, h).ToString(), Mac(2, h).ToString());
        })
        .Router("r1", r => r
            .Port("p1", mac: "02:00:00:00:ff:01", address: "198.18.0.1/16")
            .Port("p2", mac: "02:00:00:00:ff:02", address: "198.19.0.1/16"))
        .Link("br1/uplink", "r1/p1")
        .Link("br2/uplink", "r1/p2")
        .Build();

    private static IPv4Address Ip(int side, int host) => new((side == 1 ? 0xC612_0000u : 0xC613_0000u) + 2 + (uint)host);

    private static void Install(MegaflowClassifier classifier, DecisionEngine engine, int pair, int hosts)
    {
        var key = _routed
            ? RoutedKey(Mac(1, pair % hosts), Ip(1, pair % hosts), Ip(2, pair / hosts))
            : Key(1, Mac(1, pair % hosts), Mac(2, pair / hosts));
        var decision = engine.Resolve(key, default, ResolverReason.Miss).Decision!;
        classifier.Insert(decision.Match, decision.Actions, TagsOf(decision.Tags), decision.Timeouts, decision.Priority);
    }

    // As a worker does (Worker.TagsOf): the tags in place, or copied into a scratch array, not a new one per setup.
    private static ulong[] _tagScratch = new ulong[16];

    private static ReadOnlySpan<ulong> TagsOf(IReadOnlyList<ulong> tags)
    {
        if (tags is ulong[] array) return array;
        if (_tagScratch.Length < tags.Count) _tagScratch = new ulong[tags.Count * 2];
        for (int i = 0; i < tags.Count; i++) _tagScratch[i] = tags[i];
        return _tagScratch.AsSpan(0, tags.Count);
    }

    private static void Resolve(DecisionEngine engine, FlowKey key) => engine.Resolve(key, default, ResolverReason.Miss);

    private static FlowKey RoutedKey(MacAddress source, IPv4Address sourceIp, IPv4Address destinationIp)
    {
        var key = Key(1, source, MacAddress.Parse("02:00:00:00:ff:01"));
        key.NetworkSource = new IPv6Address(0, sourceIp.Value);
        key.NetworkDestination = new IPv6Address(0, destinationIp.Value);
        key.NetworkProtocol = IpProtocol.Udp;
        key.NetworkTtl = 64;
        return key;
    }

    private static MacAddress Mac(int side, int host) => new(0x0200_0000_0000UL | ((ulong)side << 32) | (uint)host);

    private static FlowKey Key(uint inPort, MacAddress source, MacAddress destination)
    {
        var key = default(FlowKey);
        key.InPort = inPort;
        key.EthernetSource = source;
        key.EthernetDestination = destination;
        key.EtherType = EtherType.IPv4;
        key.Layers = FlowKeyLayers.Transport;
        return key;
    }
}
