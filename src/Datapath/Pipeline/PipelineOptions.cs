namespace NetFabric.Datapath.Pipeline;

/// <summary>How a <see cref="PacketPipeline"/> runs. Validated when the pipeline is created.</summary>
public sealed record PipelineOptions
{
    /// <summary>Worker threads (default: one per core).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Packets received per RxBurst (1..64; 32 as DPDK and VPP use).</summary>
    public int BurstSize { get; init; } = 32;

    /// <summary>Pin worker i to core i on Linux, so the OS does not move a polling thread around.</summary>
    public bool PinThreads { get; init; } = true;

    /// <summary>Slots of each worker's exact-match cache; 0 disables it (every lookup goes to the megaflow classifier).</summary>
    public int ExactMatchCacheEntries { get; init; } = 8192;

    /// <summary>
    /// A megaflow hit is copied into the exact-match cache with probability 1 in this many (as Open vSwitch's
    /// emc-insert-inv-prob, default 100): a flow with steady traffic gets in after about that many packets, while
    /// with more flows than the cache holds, one-packet-each traffic does not evict the residents on every hit.
    /// 1 inserts on every hit. Flows installed by an upcall always go in.
    /// </summary>
    public int ExactMatchInsertOneIn { get; init; } = 100;

    /// <summary>
    /// The share of exact-match lookups that must hit for the cache to be worth looking up (0 to 1; default 0.5; 0
    /// keeps it always on). Each worker measures its cache's hit rate over windows of lookups; below this share it
    /// stops looking the cache up (no hash, lookup or insertion for most batches: a miss costs more than a hit
    /// saves, so with more live flows than cache slots the cache only slows the megaflow path down), and it keeps
    /// probing one batch in 64 so it turns the cache back on once traffic concentrates on fewer flows again.
    /// Packets that skipped the cache are counted in <see cref="DatapathStatistics.ExactMatchSkipped"/>.
    /// </summary>
    public double ExactMatchMinimumHitRate { get; init; } = 0.5;

    /// <summary>Most megaflows cached at once.</summary>
    public int FlowCapacity { get; init; } = 65536;

    /// <summary>Upcalls a port may cause per second (token-bucket rate), so a flood of new flows cannot starve hits.</summary>
    public double UpcallsPerSecondPerPort { get; init; } = 100_000;

    /// <summary>Upcalls a port may cause in a burst above the rate.</summary>
    public int UpcallBurst { get; init; } = 2_000;

    /// <summary>Packets each worker can park while their resolution is pending; more are dropped (counted).</summary>
    public int ParkingCapacity { get; init; } = 1024;

    /// <summary>Longest a packet stays parked before it is dropped.</summary>
    public TimeSpan MaximumParkTime { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How often worker 0 takes the expired flows out of a slice of the flow table. The slices cover the whole table
    /// once a second (every interval when that is longer), so a flow leaves within about a second of its timeout
    /// and no pass holds the classifier's write lock for a whole scan (about 12 ms at a million flows).
    /// </summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Empty polls after which an idle worker sleeps briefly (1 ms) instead of spinning; 0 spins forever (pure
    /// poll mode, lowest latency, one core burnt per worker).
    /// </summary>
    public int IdlePollsBeforeSleep { get; init; } = 4096;

    internal void Validate()
    {
        List<string> errors = [];
        if (Workers < 1) errors.Add($"Workers must be at least 1 (was {Workers}).");
        if (BurstSize is < 1 or > 64) errors.Add($"BurstSize must be 1..64 (was {BurstSize}).");
        if (ExactMatchCacheEntries < 0) errors.Add($"ExactMatchCacheEntries must not be negative (was {ExactMatchCacheEntries}).");
        if (ExactMatchInsertOneIn < 1) errors.Add($"ExactMatchInsertOneIn must be at least 1 (was {ExactMatchInsertOneIn}).");
        if (!(ExactMatchMinimumHitRate is >= 0 and <= 1)) errors.Add($"ExactMatchMinimumHitRate must be between 0 and 1 (was {ExactMatchMinimumHitRate}).");
        if (FlowCapacity < 1) errors.Add($"FlowCapacity must be positive (was {FlowCapacity}).");
        if (UpcallsPerSecondPerPort <= 0) errors.Add($"UpcallsPerSecondPerPort must be positive (was {UpcallsPerSecondPerPort}).");
        if (UpcallBurst < 1) errors.Add($"UpcallBurst must be at least 1 (was {UpcallBurst}).");
        if (ParkingCapacity < 0) errors.Add($"ParkingCapacity must not be negative (was {ParkingCapacity}).");
        if (MaximumParkTime <= TimeSpan.Zero) errors.Add($"MaximumParkTime must be positive (was {MaximumParkTime}).");
        if (MaintenanceInterval <= TimeSpan.Zero) errors.Add($"MaintenanceInterval must be positive (was {MaintenanceInterval}).");
        if (IdlePollsBeforeSleep < 0) errors.Add($"IdlePollsBeforeSleep must not be negative (was {IdlePollsBeforeSleep}).");
        if (errors.Count > 0) throw new ArgumentException("Invalid PipelineOptions: " + string.Join(" ", errors));
    }
}
