using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;

namespace NetFabric.Datapath.Tests.Flows;

public class ExactMatchCacheTests
{
    private static readonly FlowKey KeyA = new KeyModel(0, 0, 0, 0, 0, 1).ToKey();
    private static readonly FlowKey KeyB = new KeyModel(1, 0, 0, 0, 0, 1).ToKey();
    private static readonly FlowKey KeyC = new KeyModel(0, 1, 0, 0, 0, 1).ToKey();

    private static (MegaflowClassifier Classifier, FlowEntry Entry) Installed(in FlowKey key, ulong[]? tags = null)
    {
        var classifier = new MegaflowClassifier();
        var entry = classifier.Insert(new FlowMatch(key, ClassifierMasks.InPortAndEthernetDestination), TestActions.Output(1), tags);
        return (classifier, entry);
    }

    [Fact]
    public void A_cached_key_hits_its_entry()
    {
        var (_, entry) = Installed(KeyA);
        var cache = new ExactMatchCache();
        cache.Insert(KeyA, FlowHash.Of(KeyA), entry);

        Assert.Same(entry, cache.Lookup(KeyA, FlowHash.Of(KeyA)));
        Assert.Null(cache.Lookup(KeyB, FlowHash.Of(KeyB)));
    }

    [Fact]
    public void A_key_with_the_same_hash_but_other_fields_misses()
    {
        var (_, entry) = Installed(KeyA);
        var cache = new ExactMatchCache(16);
        cache.Insert(KeyA, 42, entry);

        Assert.Null(cache.Lookup(KeyB, 42));
    }

    [Fact]
    public void An_entry_removed_from_the_classifier_misses_without_touching_the_cache()
    {
        var (classifier, entry) = Installed(KeyA);
        var cache = new ExactMatchCache();
        cache.Insert(KeyA, FlowHash.Of(KeyA), entry);

        classifier.Remove(entry);

        Assert.Null(cache.Lookup(KeyA, FlowHash.Of(KeyA)));
    }

    [Fact]
    public void An_entry_invalidated_by_tag_misses_without_touching_the_cache()
    {
        var (classifier, entry) = Installed(KeyA, [77]);
        var cache = new ExactMatchCache();
        cache.Insert(KeyA, FlowHash.Of(KeyA), entry);

        classifier.InvalidateByTag(77);

        Assert.Null(cache.Lookup(KeyA, FlowHash.Of(KeyA)));
    }

    [Fact]
    public void Reinserting_a_key_overwrites_its_entry()
    {
        var (classifier, first) = Installed(KeyA);
        var second = classifier.Insert(new FlowMatch(KeyA, FlowMask.Exact), TestActions.Output(2));
        var cache = new ExactMatchCache();
        cache.Insert(KeyA, 7, first);
        cache.Insert(KeyA, 7, second);

        Assert.Same(second, cache.Lookup(KeyA, 7));
    }

    [Fact]
    public void Colliding_keys_share_two_ways_then_overwrite()
    {
        var (classifier, a) = Installed(KeyA);
        var b = classifier.Insert(new FlowMatch(KeyB, ClassifierMasks.InPortAndEthernetDestination), TestActions.Output(2));
        var c = classifier.Insert(new FlowMatch(KeyC, ClassifierMasks.InPortAndEthernetDestination), TestActions.Output(3));
        var cache = new ExactMatchCache(64);
        // Both candidate slots of hash 0x0000_0005_0000_0003 are 3 and 5: three keys with it compete for two ways.
        const ulong hash = 0x0000_0005_0000_0003;
        cache.Insert(KeyA, hash, a);
        cache.Insert(KeyB, hash, b);
        Assert.Same(a, cache.Lookup(KeyA, hash));
        Assert.Same(b, cache.Lookup(KeyB, hash));

        cache.Insert(KeyC, hash, c);

        Assert.Same(c, cache.Lookup(KeyC, hash));
        Assert.Equal(1, new[] { cache.Lookup(KeyA, hash), cache.Lookup(KeyB, hash) }.Count(e => e is not null));
    }

    [Fact]
    public void A_dead_entry_frees_its_way_for_the_next_insert()
    {
        var (classifier, a) = Installed(KeyA);
        var b = classifier.Insert(new FlowMatch(KeyB, ClassifierMasks.InPortAndEthernetDestination), TestActions.Output(2));
        var c = classifier.Insert(new FlowMatch(KeyC, ClassifierMasks.InPortAndEthernetDestination), TestActions.Output(3));
        var cache = new ExactMatchCache(64);
        const ulong hash = 0x0000_0005_0000_0003;
        cache.Insert(KeyA, hash, a);
        cache.Insert(KeyB, hash, b);
        classifier.Remove(a);

        cache.Insert(KeyC, hash, c);

        Assert.Same(b, cache.Lookup(KeyB, hash));
        Assert.Same(c, cache.Lookup(KeyC, hash));
    }

    [Fact]
    public void Capacity_rounds_up_to_a_power_of_two_and_Clear_forgets_everything()
    {
        var (_, entry) = Installed(KeyA);
        var cache = new ExactMatchCache(1000);
        Assert.Equal(1024, cache.Capacity);
        cache.Insert(KeyA, 1, entry);

        cache.Clear();

        Assert.Null(cache.Lookup(KeyA, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExactMatchCache(0));
    }

    [Fact]
    public void Lookups_and_inserts_allocate_nothing()
    {
        var classifier = new MegaflowClassifier();
        var keys = KeyModel.All;
        var hashes = keys.Select(k => FlowHash.Of(k)).ToArray();
        var entries = keys.Select(k => classifier.Insert(FlowMatch.Exactly(k), ActionProgram.Drop)).ToArray();
        var cache = new ExactMatchCache(64);

        for (int round = 0; round < 2; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int hits = 0;
            for (int n = 0; n < 10_000; n++)
            {
                int i = n % keys.Length;
                if (cache.Lookup(keys[i], hashes[i]) is null) cache.Insert(keys[i], hashes[i], entries[i]);
                else hits++;
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (round == 1)
            {
                Assert.Equal(0, allocated);
                Assert.True(hits > 0);
            }
        }
    }
}
