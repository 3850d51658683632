using System.Collections.Concurrent;
using System.Diagnostics;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Flows;

public class ClassifierConcurrencyTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(1.5);

    private static readonly FlowMask[] Masks =
    [
        ClassifierMasks.InPortAndEthernetDestination,
        ClassifierMasks.All[1],
        ClassifierMasks.Make(b => { b.InPort = uint.MaxValue; b.NetworkDestination = new IPv6Address(0, uint.MaxValue); }),
        ClassifierMasks.All[5],
    ];

    // A key from 64 ports × 4 MACs × 4 addresses, so writers and readers collide often.
    private static FlowKey KeyOf(int inPort, int mac, int ip) => new()
    {
        InPort = (uint)inPort,
        EthernetDestination = new MacAddress(0x0200_0000_0000UL + (ulong)mac),
        EtherType = EtherType.IPv4,
        NetworkDestination = new IPv6Address(0, 0x0A00_0000u + (uint)ip),
        Layers = FlowKeyLayers.Network,
    };

    private static FlowKey RandomKey(Random random) => KeyOf(random.Next(64), random.Next(4), random.Next(4));

    // The writer encodes the match it installs in the output port of the flow's program (key fields and mask index in
    // the low 12 bits, a counter above), so a reader can tell that the program it got belongs to the entry's match.
    private static uint PortFor(int inPort, int mac, int ip, int mask, uint counter) =>
        (counter << 12) | (uint)(inPort << 6 | mac << 4 | ip << 2 | mask);

    private static FlowMatch MatchFor(uint port) =>
        new(KeyOf((int)(port >> 6) & 63, (int)(port >> 4) & 3, (int)(port >> 2) & 3), Masks[port & 3]);

    [Fact]
    public void Readers_only_ever_see_whole_consistent_entries_while_a_writer_churns()
    {
        // Small enough that eviction runs too.
        var classifier = new MegaflowClassifier(2048);
        var failures = new ConcurrentQueue<string>();
        var deadline = Stopwatch.GetTimestamp() + (long)(Duration.TotalSeconds * Stopwatch.Frequency);
        long lookups = 0, hits = 0, writes = 0;

        void Check(FlowEntry entry, in FlowKey key)
        {
            if (!entry.Match.Covers(key)) failures.Enqueue($"{entry} does not cover {key}");
            if (entry.Hash != entry.Match.Mask.Hash(entry.Match.Key)) failures.Enqueue($"{entry}: hash does not match its key");
            if (entry.Actions is null) { failures.Enqueue($"{entry}: no actions"); return; }
            string program = entry.Actions.ToString();
            if (!program.StartsWith("output:", StringComparison.Ordinal) || !uint.TryParse(program.AsSpan(7), out uint port))
                failures.Enqueue($"{entry}: unexpected program {program}");
            else if (MatchFor(port) != entry.Match)
                failures.Enqueue($"{entry}: program {program} was attached to another match");
        }

        void Read(int seed)
        {
            var random = new Random(seed);
            var keys = new FlowKey[32];
            var results = new FlowEntry?[32];
            long myLookups = 0, myHits = 0;
            try
            {
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    for (int i = 0; i < keys.Length; i++) keys[i] = RandomKey(random);
                    myHits += classifier.LookupBatch(keys, results);
                    for (int i = 0; i < keys.Length; i++)
                        if (results[i] is { } entry) Check(entry, keys[i]);
                    var single = classifier.Lookup(keys[0]);
                    if (single is not null) Check(single, keys[0]);
                    myLookups += keys.Length + 1;
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"reader: {e}");
            }
            Interlocked.Add(ref lookups, myLookups);
            Interlocked.Add(ref hits, myHits);
        }

        void Write()
        {
            var random = new Random(1);
            var installed = new List<FlowEntry>();
            uint counter = 0;
            try
            {
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    int dice = random.Next(1000);
                    if (dice < 600)
                    {
                        int inPort = random.Next(64), mac = random.Next(4), ip = random.Next(4), mask = random.Next(Masks.Length);
                        var match = new FlowMatch(KeyOf(inPort, mac, ip), Masks[mask]);
                        var program = TestActions.Output(PortFor(inPort, mac, ip, mask, counter++));
                        installed.Add(classifier.Insert(match, program, [(ulong)inPort % 8], priority: random.Next(3) - 1));
                    }
                    else if (dice < 850 && installed.Count > 0)
                    {
                        int i = random.Next(installed.Count);
                        classifier.Remove(installed[i]);
                        installed[i] = installed[^1];
                        installed.RemoveAt(installed.Count - 1);
                    }
                    else if (dice < 990)
                    {
                        classifier.InvalidateByTag((ulong)random.Next(8));
                    }
                    else if (dice < 999)
                    {
                        classifier.Expire(Stopwatch.GetTimestamp());
                    }
                    else
                    {
                        classifier.InvalidateAll();
                    }
                    if (installed.Count > 4096) installed.RemoveAll(e => !e.IsAlive);
                    writes++;
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"writer: {e}");
            }
        }

        var threads = new[] { new Thread(Write), new Thread(() => Read(2)), new Thread(() => Read(3)) };
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();

        Assert.Empty(failures.Take(10));
        Assert.True(lookups > 0, "readers did no lookups");
        Assert.True(hits > 0, "readers never hit");
        Assert.True(writes > 0, "the writer did nothing");
        Assert.True(classifier.Count <= classifier.Capacity);
    }
}
