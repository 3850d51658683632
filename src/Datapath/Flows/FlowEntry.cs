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
    // The masked key; the mask and priority live in a shape shared by every entry of the subtable.
    private readonly FlowKey _key;
    private readonly FlowShape _shape;
    private readonly ulong[] _tags;
    private long _packets;
    private long _bytes;
    private long _lastUsed;
    private volatile bool _alive = true;

    internal FlowEntry(FlowShape shape, in FlowKey maskedKey, ulong hash, ActionProgram actions, ReadOnlySpan<ulong> tags, FlowTimeouts timeouts, long now, long sequence)
    {
        _shape = shape;
        _key = maskedKey;
        Hash = hash;
        Actions = actions;
        _tags = tags.ToArray();
        Timeouts = timeouts;
        Created = now;
        _lastUsed = now;
        Sequence = sequence;
    }

    /// <summary>The packets this flow covers. Builds the match from the key and the shared mask: prefer <see cref="Covers"/> on hot paths.</summary>
    public FlowMatch Match => new(_key, _shape.Mask);

    /// <summary>Higher wins when several live flows cover a key (see <see cref="MegaflowClassifier"/>).</summary>
    public int Priority => _shape.Priority;

    /// <summary>True when <paramref name="key"/> agrees with the flow's match on every matched bit. Allocation-free.</summary>
    public bool Covers(in FlowKey key) => _shape.Covers(key, _key);

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

    // The masked key in place (112 bytes: not copied on the lookup path).
    internal ref readonly FlowKey Key => ref _key;

    // Classifier bookkeeping, written only under the classifier's write lock; the references are cleared when the
    // entry is taken out, so a dead entry pins nothing but its shape.
    // The subtable holding the entry while it is installed; null once it has been taken out.
    internal Subtable? Owner;
    // Position in the classifier's dense array of live entries (eviction sampling, expiry scans).
    internal int LiveIndex;
    // Other subtables of the same priority holding (or possibly holding) an entry that covers a key this one covers;
    // null when none did at install time. See MegaflowClassifier's remarks on overlap tracking.
    internal Subtable[]? OverlapPartners;

    private static long ToTimestamp(TimeSpan span) => (long)(span.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);

    /// <summary>The match, priority and statistics, for diagnostics.</summary>
    public override string ToString() => $"{Match} priority={Priority} packets={Packets} bytes={Bytes}{(IsAlive ? "" : " (dead)")}";
}
