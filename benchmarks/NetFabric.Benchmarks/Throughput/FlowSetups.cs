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
    public static (long Setups, double Seconds, double BytesPerFlow) Run(int alreadyCached, int setups)
    {
        var topology = new TopologyBuilder()
            .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("uplink"))
            .Bridge("br2", b => b.Port("vm2", exterior: "vm2").Port("downlink"))
            .Link("br1/uplink", "br2/downlink")
            .Build();
        var classifier = new MegaflowClassifier(alreadyCached + setups + 1024);
        using var engine = new DecisionEngine(topology, new Dictionary<string, uint> { ["vm1"] = 1, ["vm2"] = 2 }) { Flows = classifier };
        int hosts = (int)Math.Ceiling(Math.Sqrt(alreadyCached + setups)) + 1;

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

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < setups; i++, pair++) Install(classifier, engine, pair, hosts);
        double seconds = clock.Elapsed.TotalSeconds;
        if (classifier.Count != alreadyCached + setups)
            Console.WriteLine($"    warning: {classifier.Count} flows cached, expected {alreadyCached + setups}");
        return (setups, seconds, bytesPerFlow);
    }

    private static void Install(MegaflowClassifier classifier, DecisionEngine engine, int pair, int hosts)
    {
        var key = Key(1, Mac(1, pair % hosts), Mac(2, pair / hosts));
        var decision = engine.Resolve(key, default, ResolverReason.Miss).Decision!;
        classifier.Insert(decision.Match, decision.Actions, decision.Tags as ulong[] ?? [.. decision.Tags], decision.Timeouts, decision.Priority);
    }

    private static void Resolve(DecisionEngine engine, FlowKey key) => engine.Resolve(key, default, ResolverReason.Miss);

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
