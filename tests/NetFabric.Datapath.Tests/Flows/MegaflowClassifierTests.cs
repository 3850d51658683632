using System.Diagnostics;
using System.Runtime.CompilerServices;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using IPv6Address = NetFabric.Datapath.Protocols.IPv6Address;

namespace NetFabric.Datapath.Tests.Flows;

public class MegaflowClassifierTests
{
    private static readonly long Second = Stopwatch.Frequency;
    private static readonly FlowTimeouts[] TimeoutChoices =
    [
        FlowTimeouts.Never,
        new(TimeSpan.FromSeconds(1), TimeSpan.Zero),
        new(TimeSpan.FromSeconds(3), TimeSpan.Zero),
        new(TimeSpan.Zero, TimeSpan.FromSeconds(2)),
    ];

    // ---- The reference-model property ----

    public abstract record Operation;
    public sealed record InsertFlow(KeyModel Key, int Mask, int Priority, ulong[] Tags, int Timeouts) : Operation;
    /// Removes the entry installed by the Pick-th insert so far (modulo), live or not.
    public sealed record RemoveFlow(int Pick) : Operation;
    /// Records a hit on the entry installed by the Pick-th insert so far (modulo), at the current time.
    public sealed record TouchFlow(int Pick) : Operation;
    public sealed record InvalidateTag(ulong Tag) : Operation;
    public sealed record AdvanceAndExpire(int HalfSeconds) : Operation;
    public sealed record InvalidateEverything : Operation;

    private static readonly Gen<Operation> OperationGen = Gen.Frequency(
        (48, from key in KeyModel.Gen
             from mask in Gen.Choose(0, ClassifierMasks.All.Length - 1)
             from priority in Gen.Elements(0, 0, 0, 0, 1, 2, -1)
             from tags in Gen.SubListOf(new ulong[] { 1, 2, 3, 4 })
             from timeouts in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, TimeoutChoices.Length - 1)))
             select (Operation)new InsertFlow(key, mask, priority, [.. tags], timeouts)),
        (12, Gen.Choose(0, 1000).Select(pick => (Operation)new RemoveFlow(pick))),
        (8, Gen.Choose(0, 1000).Select(pick => (Operation)new TouchFlow(pick))),
        (4, Gen.Choose(1, 5).Select(tag => (Operation)new InvalidateTag((ulong)tag))),
        (8, Gen.Choose(0, 5).Select(half => (Operation)new AdvanceAndExpire(half))),
        (1, Gen.Constant((Operation)new InvalidateEverything())));

    private static readonly Gen<Operation[]> ScenarioGen = Gen.Choose(1, 80).SelectMany(n => OperationGen.ArrayOf(n));

    [Property(MaxTest = 150)]
    public Property Lookup_and_LookupBatch_return_what_a_linear_scan_of_the_live_flows_returns() =>
        Prop.ForAll(Arb.From(ScenarioGen), ops => RunScenario(ops, new MegaflowClassifier(1 << 16)));

    [Property(MaxTest = 100)]
    public Property Lookups_stay_exact_when_overlaps_are_tracked_conservatively_and_ranks_change_every_batch() =>
        Prop.ForAll(Arb.From(ScenarioGen), ops => RunScenario(ops, new MegaflowClassifier(1 << 16, overlapScanLimit: 0, rankPeriod: 1)));

    private static void RunScenario(Operation[] ops, MegaflowClassifier classifier)
    {
        var live = new List<ModelFlow>();
        var history = new List<ModelFlow>();
        long now = 1_000 * Second;
        long order = 0;
        foreach (var op in ops)
        {
            switch (op)
            {
                case InsertFlow insert:
                {
                    var match = new FlowMatch(insert.Key.ToKey(), ClassifierMasks.All[insert.Mask]);
                    var timeouts = TimeoutChoices[insert.Timeouts];
                    var entry = classifier.Insert(match, TestActions.Output((uint)history.Count), insert.Tags, timeouts, insert.Priority, now);
                    live.RemoveAll(f => f.Match == match && f.Priority == insert.Priority);
                    var flow = new ModelFlow(entry, match, insert.Priority, ++order, insert.Tags, timeouts, now);
                    live.Add(flow);
                    history.Add(flow);
                    break;
                }
                case RemoveFlow remove when history.Count > 0:
                {
                    var flow = history[remove.Pick % history.Count];
                    Assert.Equal(live.Remove(flow), classifier.Remove(flow.Entry));
                    break;
                }
                case TouchFlow touch when history.Count > 0:
                {
                    var flow = history[touch.Pick % history.Count];
                    flow.Entry.RecordHits(1, 64, now);
                    flow.LastUsed = Math.Max(flow.LastUsed, now);
                    break;
                }
                case InvalidateTag invalidate:
                    Assert.Equal(live.RemoveAll(f => f.Tags.Contains(invalidate.Tag)), classifier.InvalidateByTag(invalidate.Tag));
                    break;
                case AdvanceAndExpire advance:
                    now += advance.HalfSeconds * Second / 2;
                    Assert.Equal(live.RemoveAll(f => f.IsExpired(now)), classifier.Expire(now));
                    break;
                case InvalidateEverything:
                    Assert.Equal(live.Count, classifier.InvalidateAll());
                    live.Clear();
                    break;
            }
            AssertAgrees(classifier, live, history);
        }
    }

    private static void AssertAgrees(MegaflowClassifier classifier, List<ModelFlow> live, List<ModelFlow> history)
    {
        Assert.Equal(live.Count, classifier.Count);
        Assert.Equal(live.Select(f => (f.Match.Mask, f.Priority)).Distinct().Count(), classifier.SubtableCount);
        foreach (var flow in history) Assert.Equal(live.Contains(flow), flow.Entry.IsAlive);
        Assert.True(live.Select(f => f.Entry).ToHashSet().SetEquals(classifier.Entries));

        var keys = KeyModel.All;
        var results = new FlowEntry?[keys.Length + 3];
        int hits = classifier.LookupBatch(keys, results);
        int expectedHits = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            var expected = ModelFlow.Best(live, keys[i]);
            if (expected is not null) expectedHits++;
            Assert.Same(expected, classifier.Lookup(keys[i]));
            Assert.Same(expected, results[i]);
        }
        Assert.Equal(expectedHits, hits);
    }

    // ---- Precedence, replacement and bookkeeping ----

    private static FlowKey Key(uint inPort, ulong mac, uint ip) => new()
    {
        InPort = inPort,
        EthernetDestination = new MacAddress(mac),
        EtherType = EtherType.IPv4,
        NetworkDestination = new IPv6Address(0, ip),
        Layers = FlowKeyLayers.Network,
    };

    private static readonly FlowMask ByPort = ClassifierMasks.All[5];
    private static readonly FlowMask ByPortAndMac = ClassifierMasks.All[0];
    private static readonly FlowMask ByPortMacAndIp = ClassifierMasks.All[1];

    [Fact]
    public void Higher_priority_wins_over_a_more_specific_or_newer_flow()
    {
        var classifier = new MegaflowClassifier();
        var key = Key(1, 0xA, 0x0A000001);
        var high = classifier.Insert(new FlowMatch(key, ByPort), TestActions.Output(1), priority: 5);
        classifier.Insert(new FlowMatch(key, ByPortMacAndIp), TestActions.Output(2), priority: 1);

        Assert.Same(high, classifier.Lookup(key));
    }

    [Fact]
    public void Among_equal_priorities_the_latest_installed_flow_wins()
    {
        var classifier = new MegaflowClassifier();
        var key = Key(1, 0xA, 0x0A000001);
        classifier.Insert(new FlowMatch(key, ByPortMacAndIp), TestActions.Output(1));
        var newer = classifier.Insert(new FlowMatch(key, ByPort), TestActions.Output(2));

        Assert.Same(newer, classifier.Lookup(key));
        Assert.Equal(2, classifier.SubtableCount);
    }

    [Fact]
    public void Installing_an_identical_match_replaces_the_live_flow()
    {
        var classifier = new MegaflowClassifier();
        var key = Key(1, 0xA, 0x0A000001);
        var old = classifier.Insert(new FlowMatch(key, ByPortAndMac), TestActions.Output(1), [7]);
        // Differs only in a wildcarded field: the same match.
        var replacement = classifier.Insert(new FlowMatch(Key(1, 0xA, 0x0A000009), ByPortAndMac), TestActions.Output(2), [8]);

        Assert.False(old.IsAlive);
        Assert.Same(replacement, classifier.Lookup(key));
        Assert.Equal(1, classifier.Count);
        Assert.Equal(0, classifier.InvalidateByTag(7));
        Assert.Equal(1, classifier.InvalidateByTag(8));
        var statistics = classifier.Statistics;
        Assert.Equal((1L, 1L, 1L), (statistics.Inserted, statistics.Replaced, statistics.Invalidated));
    }

    [Fact]
    public void The_same_match_at_another_priority_is_a_separate_flow()
    {
        var classifier = new MegaflowClassifier();
        var key = Key(1, 0xA, 0x0A000001);
        var low = classifier.Insert(new FlowMatch(key, ByPortAndMac), TestActions.Output(1), priority: 0);
        var high = classifier.Insert(new FlowMatch(key, ByPortAndMac), TestActions.Output(2), priority: 3);

        Assert.True(low.IsAlive);
        Assert.Same(high, classifier.Lookup(key));
        classifier.Remove(high);
        Assert.Same(low, classifier.Lookup(key));
    }

    [Fact]
    public void Remove_takes_a_flow_out_once_and_ignores_other_classifiers_flows()
    {
        var classifier = new MegaflowClassifier();
        var other = new MegaflowClassifier();
        var key = Key(1, 0xA, 0x0A000001);
        var entry = classifier.Insert(new FlowMatch(key, ByPortAndMac), ActionProgram.Drop);
        var foreign = other.Insert(new FlowMatch(key, ByPortAndMac), ActionProgram.Drop);

        Assert.False(classifier.Remove(foreign));
        Assert.True(foreign.IsAlive);
        Assert.True(classifier.Remove(entry));
        Assert.False(classifier.Remove(entry));
        Assert.False(entry.IsAlive);
        Assert.Null(classifier.Lookup(key));
        Assert.Equal(0, classifier.SubtableCount);
    }

    [Fact]
    public void InvalidateByTag_takes_out_exactly_the_flows_carrying_the_tag()
    {
        var classifier = new MegaflowClassifier();
        var a = classifier.Insert(new FlowMatch(Key(1, 0xA, 1), ByPortAndMac), ActionProgram.Drop, [1, 2]);
        var b = classifier.Insert(new FlowMatch(Key(2, 0xA, 1), ByPortAndMac), ActionProgram.Drop, [2, 2]);
        var c = classifier.Insert(new FlowMatch(Key(3, 0xA, 1), ByPortMacAndIp), ActionProgram.Drop, [3]);

        Assert.Equal(2, classifier.InvalidateByTag(2));
        Assert.False(a.IsAlive);
        Assert.False(b.IsAlive);
        Assert.True(c.IsAlive);
        Assert.Equal(0, classifier.InvalidateByTag(1));
        Assert.Equal(1, classifier.Count);
    }

    [Fact]
    public void ExpireSlice_sweeps_the_table_a_slice_per_call_and_starts_over_after_the_end()
    {
        var classifier = new MegaflowClassifier();
        long t0 = 100 * Second;
        var timeouts = new FlowTimeouts(TimeSpan.FromSeconds(2), TimeSpan.Zero);
        var flows = Enumerable.Range(0, 100)
            .Select(i => classifier.Insert(new FlowMatch(Key((uint)i, 0xA, 1), ByPortAndMac), ActionProgram.Drop, timeouts: timeouts, now: t0))
            .ToArray();
        long late = t0 + 5 * Second;

        // Four slices of 25: each call takes out one slice's flows, lowest ids first; the fifth call starts over.
        for (int call = 1; call <= 4; call++)
        {
            Assert.Equal(25, classifier.ExpireSlice(late, 4));
            Assert.Equal(100 - 25 * call, classifier.Count);
            Assert.Equal(100 - 25 * call, flows.Count(f => f.IsAlive));
        }
        Assert.Equal(0, classifier.ExpireSlice(late, 4));

        // Flows installed again reuse the freed ids; a sweep started over finds the expired ones among them.
        var again = Enumerable.Range(0, 10)
            .Select(i => classifier.Insert(new FlowMatch(Key((uint)i, 0xB, 1), ByPortAndMac), ActionProgram.Drop, timeouts: timeouts, now: late))
            .ToArray();
        again[3].RecordHits(1, 60, late + 3 * Second);
        int taken = 0;
        for (int call = 0; call < 4; call++) taken += classifier.ExpireSlice(late + 4 * Second, 4);
        Assert.Equal(9, taken);
        Assert.True(again[3].IsAlive);
        Assert.Equal(1, classifier.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => classifier.ExpireSlice(late, 0));
    }

    [Fact]
    public void Expire_takes_out_idle_and_hard_timed_out_flows_only()
    {
        var classifier = new MegaflowClassifier();
        long t0 = 100 * Second;
        var idle = classifier.Insert(new FlowMatch(Key(1, 0xA, 1), ByPortAndMac), ActionProgram.Drop, timeouts: new(TimeSpan.FromSeconds(2), TimeSpan.Zero), now: t0);
        var used = classifier.Insert(new FlowMatch(Key(2, 0xA, 1), ByPortAndMac), ActionProgram.Drop, timeouts: new(TimeSpan.FromSeconds(2), TimeSpan.Zero), now: t0);
        var hard = classifier.Insert(new FlowMatch(Key(3, 0xA, 1), ByPortAndMac), ActionProgram.Drop, timeouts: new(TimeSpan.Zero, TimeSpan.FromSeconds(3)), now: t0);
        var never = classifier.Insert(new FlowMatch(Key(4, 0xA, 1), ByPortAndMac), ActionProgram.Drop, timeouts: FlowTimeouts.Never, now: t0);

        used.RecordHits(1, 60, t0 + Second);
        Assert.Equal(1, classifier.Expire(t0 + 2 * Second));
        Assert.False(idle.IsAlive);
        Assert.True(used.IsAlive);
        Assert.Equal(2, classifier.Expire(t0 + 3 * Second));
        Assert.False(used.IsAlive);
        Assert.False(hard.IsAlive);
        Assert.True(never.IsAlive);
        Assert.Equal(3, classifier.Statistics.Expired);
    }

    [Fact]
    public void InvalidateAll_kills_every_flow()
    {
        var classifier = new MegaflowClassifier();
        var entries = Enumerable.Range(1, 10).Select(i => classifier.Insert(new FlowMatch(Key((uint)i, 0xA, 1), ClassifierMasks.All[i % 2]), ActionProgram.Drop)).ToList();

        Assert.Equal(10, classifier.InvalidateAll());
        Assert.All(entries, e => Assert.False(e.IsAlive));
        Assert.Equal(0, classifier.Count);
        Assert.Equal(0, classifier.SubtableCount);
        Assert.Empty(classifier.Entries);
        Assert.Null(classifier.Lookup(Key(1, 0xA, 1)));
    }

    [Fact]
    public void An_entry_reads_its_key_in_place()
    {
        var match = new FlowMatch(Key(9, 0xB, 0x0A000002), ByPortMacAndIp);
        var entry = new MegaflowClassifier().Insert(match, ActionProgram.Drop);

        Assert.Equal(match.Key, entry.Key);
        Assert.Equal(entry.Hash, entry.Match.Mask.Hash(entry.Key));
    }

    [Fact]
    public void A_dead_entry_does_not_keep_the_other_flows_of_its_subtable_alive()
    {
        var (entry, subtable) = InstallThenInvalidateAll();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(subtable.IsAlive);
        Assert.False(entry.IsAlive);
        Assert.Equal(1u, entry.Match.Key.InPort);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (FlowEntry Entry, WeakReference Subtable) InstallThenInvalidateAll()
    {
        var classifier = new MegaflowClassifier();
        var entry = classifier.Insert(new FlowMatch(Key(1, 0xA, 1), ByPortAndMac), ActionProgram.Drop);
        for (uint i = 2; i < 100; i++) classifier.Insert(new FlowMatch(Key(i, 0xA, 1), ByPortAndMac), ActionProgram.Drop);
        var subtable = new WeakReference(entry.Owner);
        classifier.InvalidateAll();
        GC.KeepAlive(classifier);
        return (entry, subtable);
    }

    [Fact]
    public void LookupBatch_rejects_a_results_span_shorter_than_the_keys()
    {
        var classifier = new MegaflowClassifier();
        Assert.Throws<ArgumentException>(() => classifier.LookupBatch(new FlowKey[4], new FlowEntry?[3]));
    }

    [Fact]
    public void Tables_grow_and_shrink_through_many_installs_and_removals()
    {
        var classifier = new MegaflowClassifier(100_000);
        var entries = new List<FlowEntry>();
        for (uint i = 0; i < 20_000; i++)
            entries.Add(classifier.Insert(new FlowMatch(Key(i, 0xA, i), ByPortMacAndIp), TestActions.Output(i)));
        for (int i = 0; i < entries.Count; i += 2) Assert.True(classifier.Remove(entries[i]));
        for (uint i = 0; i < 20_000; i++)
        {
            var found = classifier.Lookup(Key(i, 0xA, i));
            if (i % 2 == 0) Assert.Null(found);
            else Assert.Same(entries[(int)i], found);
        }
        Assert.Equal(10_000, classifier.Count);
    }

    // ---- Capacity and eviction ----

    [Fact]
    public void Count_never_exceeds_capacity()
    {
        var classifier = new MegaflowClassifier(50);
        var entries = new List<FlowEntry>();
        for (uint i = 0; i < 500; i++)
        {
            entries.Add(classifier.Insert(new FlowMatch(Key(i, i % 3, i % 7), ClassifierMasks.All[(int)(i % 2)]), ActionProgram.Drop, [i % 5], now: (1000 + i) * Second));
            Assert.True(classifier.Count <= 50);
        }
        Assert.Equal(50, classifier.Count);
        Assert.Equal(50, entries.Count(e => e.IsAlive));
        Assert.Equal(450, classifier.Statistics.Evicted);
        Assert.Equal(50, classifier.Entries.Count());
    }

    [Fact]
    public void Recently_used_flows_survive_eviction_over_idle_ones()
    {
        var classifier = new MegaflowClassifier(100);
        long t0 = 1000 * Second;
        var first = Enumerable.Range(0, 100).Select(i => classifier.Insert(new FlowMatch(Key((uint)i, 0xA, 1), ByPortAndMac), ActionProgram.Drop, now: t0)).ToList();
        long t1 = t0 + 5 * Second;
        for (int i = 0; i < 100; i += 2) first[i].RecordHits(1, 64, t1);

        for (int i = 0; i < 50; i++)
            classifier.Insert(new FlowMatch(Key((uint)(1000 + i), 0xA, 1), ByPortAndMac), ActionProgram.Drop, now: t1 + i);

        for (int i = 0; i < 100; i++) Assert.Equal(i % 2 == 0, first[i].IsAlive);

        // Now every flow was used within the last second: eviction still makes room.
        classifier.Insert(new FlowMatch(Key(5000, 0xA, 1), ByPortAndMac), ActionProgram.Drop, now: t1 + Second / 2);
        Assert.Equal(100, classifier.Count);
        Assert.Equal(51, classifier.Statistics.Evicted);
    }

    [Fact]
    public void Eviction_prefers_the_least_recently_used_of_idle_flows()
    {
        var classifier = new MegaflowClassifier(1000);
        long t0 = 1000 * Second;
        var flows = Enumerable.Range(0, 1000).Select(i => classifier.Insert(new FlowMatch(Key((uint)i, 0xA, 1), ByPortAndMac), ActionProgram.Drop, now: t0 + i * Second)).ToList();
        long now = t0 + 2000 * Second;
        for (int i = 0; i < 100; i++)
            classifier.Insert(new FlowMatch(Key((uint)(5000 + i), 0xA, 1), ByPortAndMac), ActionProgram.Drop, now: now);

        // Sampling 16 of 1000 picks from the older part: the evicted flows are, on average, much older than the kept ones.
        double evictedAge = flows.Where(f => !f.IsAlive).Average(f => now - f.LastUsed);
        double keptAge = flows.Where(f => f.IsAlive).Average(f => now - f.LastUsed);
        Assert.True(evictedAge > keptAge * 1.3, $"evicted {evictedAge / Second:F0} s old on average, kept {keptAge / Second:F0} s");
    }

    // ---- Allocation ----

    [Fact]
    public void Lookups_allocate_nothing()
    {
        var classifier = new MegaflowClassifier(4096);
        var keys = new FlowKey[32];
        for (uint i = 0; i < 1000; i++)
        {
            var key = Key(i, 0xA, i);
            classifier.Insert(new FlowMatch(key, i % 2 == 0 ? ByPortAndMac : ByPortMacAndIp), TestActions.Output(i));
            if (i < 32) keys[i] = key;
        }
        keys[31] = Key(99_999, 0xA, 1);   // one miss
        var results = new FlowEntry?[32];

        for (int i = 0; i < 20_000; i++)
        {
            classifier.LookupBatch(keys, results);
            classifier.Lookup(keys[i & 31]);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        int hits = 0;
        for (int i = 0; i < 20_000; i++)
        {
            hits += classifier.LookupBatch(keys, results);
            if (classifier.Lookup(keys[i & 31]) is not null) hits++;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(20_000 * 31 + 20_000 * 31 / 32, hits);
    }
}
