using System.Diagnostics;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows.Internal;

namespace NetFabric.Datapath.Flows;

/// <summary>
/// One cached flow: its match, priority, action program, invalidation tags, timeouts and statistics. Created by
/// <see cref="MegaflowClassifier.Insert"/>; immutable except for the statistics, the last-used time and
/// <see cref="IsAlive"/>, which workers and the classifier update without locks. A reader that got an entry from
/// a lookup may keep executing it after it died (the next lookup will not return it): that is the cache's
/// consistency model, as in Open vSwitch.
/// </summary>
public sealed class FlowEntry
{
    // The masked key, and the shape (mask and priority) shared by every entry of the subtable.
    private readonly MaskedKey _masked;
    private readonly ulong[] _tags;
    private long _packets;
    private long _bytes;
    private long _lastUsed;
    private volatile bool _alive = true;

    internal FlowEntry(FlowShape shape, in FlowKey maskedKey, ulong hash, ActionProgram actions, ReadOnlySpan<ulong> tags, FlowTimeouts timeouts, long now, long sequence)
    {
        _masked = new MaskedKey(shape, maskedKey);
        Hash = hash;
        Actions = actions;
        _tags = tags.ToArray();
        Timeouts = timeouts;
        Created = now;
        _lastUsed = now;
        Sequence = sequence;
    }

    /// <summary>The packets this flow covers. Builds the match from the key and the shared mask: prefer <see cref="Covers"/> on hot paths.</summary>
    public FlowMatch Match => new(_masked.Key, _masked.Shape.Mask);

    /// <summary>Higher wins when several live flows cover a key (see <see cref="MegaflowClassifier"/>).</summary>
    public int Priority => _masked.Shape.Priority;

    /// <summary>True when <paramref name="key"/> agrees with the flow's match on every matched bit. Allocation-free.</summary>
    public bool Covers(in FlowKey key) => _masked.Shape.Covers(key, _masked.Key);

    /// <summary>What to do with a covered packet.</summary>
    public ActionProgram Actions { get; }

    /// <summary>The invalidation tags: ids of the devices and state entries this decision relied on.</summary>
    public ReadOnlySpan<ulong> Tags => _tags;

    /// <summary>When the flow expires.</summary>
    public FlowTimeouts Timeouts { get; }

    /// <summary>Installation time (a <see cref="Stopwatch"/> timestamp).</summary>
    public long Created { get; }

    /// <summary>Installation order: later installs have larger numbers.</summary>
    public long Sequence { get; }

    /// <summary>The hash of <see cref="Match"/> under its mask (what the classifier's table is keyed by).</summary>
    public ulong Hash { get; }

    /// <summary>Last time a packet matched (a <see cref="Stopwatch"/> timestamp; racy, monotonic enough for ageing).</summary>
    public long LastUsed => Volatile.Read(ref _lastUsed);

    /// <summary>Packets that matched.</summary>
    public long Packets => Volatile.Read(ref _packets);

    /// <summary>Bytes of those packets.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>False once the flow was removed, evicted, expired or invalidated; exact-match caches check it.</summary>
    public bool IsAlive => _alive;

    /// <summary>
    /// Records <paramref name="packets"/> hits totalling <paramref name="bytes"/> at <paramref name="now"/>. Workers call
    /// it once per run of consecutive packets of this flow in a burst.
    /// </summary>
    /// <remarks>
    /// Plain adds, not interlocked ones: an interlocked add per packet would cost more than the rest of a megaflow
    /// hit. A flow's packets stay on one worker (one receive queue, or flow-hash hand-over in
    /// <see cref="Pipeline.PacketPipeline"/>), so the writes do not race in practice; if two workers ever hit the same
    /// flow at the same instant, a few counts can be lost. The counters are statistics, never used for decisions.
    /// </remarks>
    public void RecordHits(int packets, long bytes, long now)
    {
        _packets += packets;
        _bytes += bytes;
        if (now > _lastUsed) _lastUsed = now;
    }

    /// <summary>True when a timeout has passed at <paramref name="now"/>.</summary>
    public bool IsExpired(long now)
    {
        long idle = Timeouts.Idle.Ticks == 0 ? 0 : ToTimestamp(Timeouts.Idle);
        long hard = Timeouts.Hard.Ticks == 0 ? 0 : ToTimestamp(Timeouts.Hard);
        return (idle != 0 && now - LastUsed >= idle) || (hard != 0 && now - Created >= hard);
    }

    internal void Kill() => _alive = false;

    // True when the flow carries tag (a linear search: flows carry a handful of tags).
    internal bool CarriesTag(ulong tag) => _tags.AsSpan().Contains(tag);

    // The masked key in place (112 bytes: not copied on the lookup path).
    internal ref readonly FlowKey Key => ref _masked.Key;

    // The shape and key together: what a lookup verifies, and where its prefetches start.
    internal ref readonly MaskedKey MaskedKey => ref _masked;

    // The subtable's shape: identifies the subtable the entry was installed in.
    internal FlowShape Shape => _masked.Shape;

    // Classifier bookkeeping, written only under the classifier's write lock; the references are cleared when the
    // entry is taken out, so a dead entry pins nothing but its shape.
    // The subtable holding the entry while it is installed; null once it has been taken out.
    internal Subtable? Owner;
    // The flow's id: its index in the classifier's flow table, stable while it is installed (the tag index records
    // ids, not references). Freed when the flow is taken out and reused by a later flow.
    internal int Id;
    // Scratch for the classifier's passes over a tag's records, which may name a flow twice: the number of the last
    // pass that counted this flow.
    internal int Visit;
    // Other subtables of the same priority holding (or possibly holding) an entry that covers a key this one covers;
    // null when none did at install time. See MegaflowClassifier's remarks on overlap tracking.
    internal Subtable[]? OverlapPartners;

    private static long ToTimestamp(TimeSpan span) => (long)(span.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);

    /// <summary>The match, priority and statistics, for diagnostics.</summary>
    public override string ToString() => $"{Match} priority={Priority} packets={Packets} bytes={Bytes}{(IsAlive ? "" : " (dead)")}";
}
