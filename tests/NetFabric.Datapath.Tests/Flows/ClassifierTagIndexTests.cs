using System.Diagnostics;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Flows.Internal;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Flows;

/// The tag index (ids of the flows carrying each tag, removed lazily, ids reused), CountByTag, and the flow table
/// that subtable slots resolve ids through.
public class ClassifierTagIndexTests
{
    private static readonly long Second = Stopwatch.Frequency;
    private static readonly FlowMask ByPort = ClassifierMasks.All[5];
    private static readonly FlowMask ByPortAndMac = ClassifierMasks.All[0];

    private static FlowKey Key(uint inPort, ulong mac = 0xA) => new()
    {
        InPort = inPort,
        EthernetDestination = new MacAddress(mac),
        EtherType = EtherType.IPv4,
        Layers = FlowKeyLayers.Network,
    };

    private static FlowEntry Install(MegaflowClassifier classifier, uint port, params ulong[] tags) =>
        classifier.Insert(new FlowMatch(Key(port), ByPortAndMac), ActionProgram.Drop, tags, FlowTimeouts.Never);

    [Fact]
    public void CountByTag_counts_the_installed_flows_carrying_the_tag()
    {
        var classifier = new MegaflowClassifier();
        var flows = Enumerable.Range(0, 6).Select(i => Install(classifier, (uint)i, 7, (ulong)(100 + i % 2))).ToList();

        Assert.Equal(6, classifier.CountByTag(7));
        Assert.Equal(3, classifier.CountByTag(100));
        Assert.Equal(3, classifier.CountByTag(101));
        Assert.Equal(0, classifier.CountByTag(8));

        classifier.Remove(flows[0]);
        classifier.Remove(flows[2]);
        Assert.Equal(4, classifier.CountByTag(7));
        Assert.Equal(1, classifier.CountByTag(100));

        Assert.Equal(3, classifier.InvalidateByTag(101));
        Assert.Equal(1, classifier.CountByTag(7));
        Assert.Equal(0, classifier.CountByTag(101));
    }

    [Fact]
    public void CountByTag_leaves_out_expired_and_evicted_flows()
    {
        var classifier = new MegaflowClassifier(capacity: 4);
        long t0 = 1000 * Second;
        var idle = new FlowTimeouts(TimeSpan.FromSeconds(1), TimeSpan.Zero);
        classifier.Insert(new FlowMatch(Key(1), ByPortAndMac), ActionProgram.Drop, [7], idle, now: t0);
        classifier.Insert(new FlowMatch(Key(2), ByPortAndMac), ActionProgram.Drop, [7], FlowTimeouts.Never, now: t0);
        Assert.Equal(2, classifier.CountByTag(7));

        Assert.Equal(1, classifier.Expire(t0 + 2 * Second));
        Assert.Equal(1, classifier.CountByTag(7));

        // Fill past capacity with untagged flows: eviction takes out the tagged one too, sooner or later.
        for (uint port = 10; port < 30; port++)
            classifier.Insert(new FlowMatch(Key(port), ByPortAndMac), ActionProgram.Drop, default, FlowTimeouts.Never, now: t0 + (port + 10) * Second);
        int tagged = classifier.Entries.Count(e => e.Tags.Contains(7UL));
        Assert.Equal(tagged, classifier.CountByTag(7));
        Assert.Equal(0, tagged);
    }

    [Fact]
    public void A_flow_that_took_a_departed_flows_id_is_counted_once()
    {
        // Four carriers, one leaves: its record stays (compaction waits for half of them to leave), and the next flow
        // reuses its id and carries the tag too, so the list names that id twice.
        var classifier = new MegaflowClassifier();
        var flows = Enumerable.Range(0, 4).Select(i => Install(classifier, (uint)i, 7)).ToList();
        classifier.Remove(flows[1]);
        var newcomer = Install(classifier, 10, 7);
        Assert.Equal(flows[1].Id, newcomer.Id);

        Assert.Equal(4, classifier.CountByTag(7));
        Assert.Equal(4, classifier.InvalidateByTag(7));
        Assert.Equal(0, classifier.Count);
        Assert.False(newcomer.IsAlive);
    }

    [Fact]
    public void A_flow_that_took_a_departed_flows_id_without_the_tag_is_neither_counted_nor_invalidated()
    {
        var classifier = new MegaflowClassifier();
        var flows = Enumerable.Range(0, 4).Select(i => Install(classifier, (uint)i, 7)).ToList();
        classifier.Remove(flows[3]);
        var untagged = Install(classifier, 10, 8);
        Assert.Equal(flows[3].Id, untagged.Id);

        Assert.Equal(3, classifier.CountByTag(7));
        Assert.Equal(3, classifier.InvalidateByTag(7));
        Assert.True(untagged.IsAlive);
        Assert.Same(untagged, classifier.Lookup(Key(10)));
        Assert.Equal(1, classifier.CountByTag(8));
    }

    [Fact]
    public void A_tag_listed_twice_counts_its_flow_once()
    {
        var classifier = new MegaflowClassifier();
        Install(classifier, 1, 7, 9, 7);
        Install(classifier, 2, 7);

        Assert.Equal(2, classifier.CountByTag(7));
        Assert.Equal(1, classifier.CountByTag(9));
        Assert.Equal(2, classifier.InvalidateByTag(7));
        Assert.Equal(0, classifier.CountByTag(9));
    }

    [Fact]
    public void A_replaced_flow_hands_its_tags_to_its_replacement_only_where_the_replacement_carries_them()
    {
        var classifier = new MegaflowClassifier();
        var first = Install(classifier, 1, 7, 8);
        var second = Install(classifier, 1, 8, 9);

        Assert.False(first.IsAlive);
        Assert.Equal(0, classifier.CountByTag(7));
        Assert.Equal(1, classifier.CountByTag(8));
        Assert.Equal(1, classifier.CountByTag(9));
        Assert.Equal(0, classifier.InvalidateByTag(7));
        Assert.True(second.IsAlive);
        Assert.Equal(1, classifier.InvalidateByTag(9));
    }

    [Fact]
    public void A_tag_carried_by_thousands_of_flows_spans_several_chunks_and_compacts()
    {
        int flows = 3 * TagCarriers.ChunkSize + 17;
        var classifier = new MegaflowClassifier(flows + 10);
        var entries = new List<FlowEntry>();
        for (int i = 0; i < flows; i++) entries.Add(Install(classifier, (uint)i, 7, (ulong)(1000 + i)));
        Assert.Equal(flows, classifier.CountByTag(7));

        // Removing three quarters compacts the list at least once on the way.
        for (int i = 0; i < flows; i++)
            if (i % 4 != 0) classifier.Remove(entries[i]);
        int left = (flows + 3) / 4;
        Assert.Equal(left, classifier.CountByTag(7));
        Assert.Equal(1, classifier.CountByTag(1000));
        Assert.Equal(0, classifier.CountByTag(1001));

        Assert.Equal(left, classifier.InvalidateByTag(7));
        Assert.Equal(0, classifier.Count);
        Assert.Equal(0, classifier.CountByTag(7));
    }

    [Fact]
    public void CountByTag_and_InvalidateByTag_agree_with_a_scan_of_the_live_flows_through_random_churn()
    {
        var random = new Random(20261122);
        for (int round = 0; round < 40; round++)
        {
            var classifier = new MegaflowClassifier(capacity: 48);
            var installed = new List<FlowEntry>();
            long now = 1000 * Second;
            for (int step = 0; step < 400; step++)
            {
                now += Second / 10;
                int choice = random.Next(100);
                if (choice < 60)
                {
                    var tags = Enumerable.Range(0, random.Next(0, 4)).Select(_ => (ulong)random.Next(1, 7)).ToArray();
                    var mask = random.Next(2) == 0 ? ByPortAndMac : ByPort;
                    var timeouts = random.Next(4) == 0 ? new FlowTimeouts(TimeSpan.FromSeconds(2), TimeSpan.Zero) : FlowTimeouts.Never;
                    // Ports collide often, so some installs replace a live flow.
                    installed.Add(classifier.Insert(new FlowMatch(Key((uint)random.Next(64), (ulong)random.Next(2)), mask),
                        ActionProgram.Drop, tags, timeouts, random.Next(2), now));
                }
                else if (choice < 80 && installed.Count > 0)
                {
                    classifier.Remove(installed[random.Next(installed.Count)]);
                }
                else if (choice < 88)
                {
                    ulong tag = (ulong)random.Next(1, 7);
                    int expected = classifier.Entries.Count(e => e.Tags.Contains(tag));
                    Assert.Equal(expected, classifier.InvalidateByTag(tag));
                }
                else if (choice < 96)
                {
                    classifier.Expire(now);
                }
                else
                {
                    installed.Where(e => e.IsAlive).Take(3).ToList().ForEach(e => e.RecordHits(1, 64, now));
                }

                var live = classifier.Entries.ToList();
                Assert.Equal(classifier.Count, live.Count);
                Assert.All(live, e => Assert.True(e.IsAlive));
                for (ulong tag = 1; tag <= 6; tag++)
                    Assert.Equal(live.Count(e => e.Tags.Contains(tag)), classifier.CountByTag(tag));
            }
        }
    }

    [Fact]
    public void An_entry_reached_through_a_reused_id_is_not_accepted_by_another_subtable()
    {
        // A reader may read a slot's id, then find that the id's flow was taken out and the id given to a flow of
        // another subtable. That flow covers the key, but it is not the probed subtable's, so the probe must reject it.
        var classifier = new MegaflowClassifier();
        var narrow = classifier.Insert(new FlowMatch(Key(1), ByPortAndMac), ActionProgram.Drop);
        var probed = narrow.Owner!;
        classifier.Remove(narrow);
        var broad = classifier.Insert(new FlowMatch(Key(1), ByPort), ActionProgram.Drop);

        Assert.Equal(narrow.Id, broad.Id);
        Assert.True(broad.Covers(Key(1)));
        Assert.False(probed.Accepts(broad, Key(1)));
        Assert.True(broad.Owner!.Accepts(broad, Key(1)));
    }

    [Fact]
    public void The_tag_index_holds_no_references()
    {
        // Records are ids: installs write nothing the collector has to trace or rescan into the index's arrays.
        var fields = typeof(TagCarriers).GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public);
        Assert.All(fields, f => Assert.True(f.FieldType == typeof(int) || f.FieldType == typeof(int[][]), f.Name));
    }

    [Fact]
    public void A_new_flow_is_found_through_its_id_until_its_slot_adopts_it()
    {
        var classifier = new MegaflowClassifier();
        long now = 1000 * Second;
        var entry = Install(classifier, 1, 7);
        var keys = new[] { Key(1), Key(2) };
        var results = new FlowEntry?[2];

        // Young: no slot references it (a young reference in an old slot array costs every collection a card scan).
        Assert.DoesNotContain(entry.Owner!.Slots, slot => ReferenceEquals(slot.Entry, entry));
        Assert.Same(entry, classifier.Lookup(Key(1)));
        Assert.Equal(1, classifier.LookupBatch(keys, results));
        Assert.Same(entry, results[0]);

        // Two expiry runs with no install between them: installs have paused, so the young flow is adopted.
        classifier.Expire(now);
        classifier.Expire(now);
        Assert.Contains(entry.Owner!.Slots, slot => ReferenceEquals(slot.Entry, entry));
        Assert.Same(entry, classifier.Lookup(Key(1)));
        Assert.Equal(1, classifier.LookupBatch(keys, results));
        Assert.Same(entry, results[0]);

        // A replacement takes the id; the slot drops its reference to the old flow.
        var replacement = Install(classifier, 1, 8);
        Assert.DoesNotContain(replacement.Owner!.Slots, slot => ReferenceEquals(slot.Entry, entry));
        Assert.Same(replacement, classifier.Lookup(Key(1)));
        Assert.Equal(0, classifier.CountByTag(7));
    }
}
