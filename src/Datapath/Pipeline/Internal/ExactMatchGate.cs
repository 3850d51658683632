namespace NetFabric.Datapath.Pipeline.Internal;

/// Whether a worker looks its exact-match cache up, decided batch by batch (<see cref="PipelineOptions.ExactMatchMinimumHitRate"/>).
///
/// The cache pays only when most lookups hit. With more live flows than it has slots, most lookups miss, and each
/// miss still costs a full-key hash and two slot reads that push the classifier's own lines out of the near caches:
/// routed traffic over 100,000 flows on the net_null pair forwards 12.5 Mpps with the cache off and 7.9 with it on.
/// So the gate counts lookups and hits over a window and, when a window's hit rate falls below the minimum, closes:
/// batches then skip the cache (no hash, no lookup, no insertion). A closed gate still lets one batch in
/// <see cref="ProbeEvery"/> use the cache as usual, so the cache keeps learning the flows that recur, and it opens
/// again when the probes' hit rate is back at the minimum.
internal struct ExactMatchGate(double minimumHitRate)
{
    /// Lookups per verdict while the gate is open: long enough that a burst of new flows does not close it.
    internal const int OpenWindow = 1 << 16;
    /// Lookups per verdict while the gate is closed (probe batches only).
    internal const int ProbeWindow = 1 << 12;
    /// While closed, one batch in this many still looks up and fills the cache.
    internal const int ProbeEvery = 64;

    private bool _closed;
    private int _batches;
    private long _lookups;
    private long _hits;

    /// True while batches skip the cache (probes aside).
    public readonly bool IsClosed => _closed;

    /// Whether the next batch uses the cache. Called once per batch.
    public bool Admit() => !_closed || ++_batches % ProbeEvery == 0;

    /// Records what a batch that used the cache found, and gives a verdict at the end of each window.
    public void Record(int lookups, int hits)
    {
        _lookups += lookups;
        _hits += hits;
        if (_lookups < (_closed ? ProbeWindow : OpenWindow)) return;
        _closed = _hits < minimumHitRate * _lookups;
        _lookups = 0;
        _hits = 0;
    }
}
