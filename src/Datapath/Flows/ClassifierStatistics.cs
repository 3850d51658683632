namespace NetFabric.Datapath.Flows;

/// <summary>
/// A snapshot of a <see cref="MegaflowClassifier"/>'s counters since it was created. The writer-side counts are
/// exact; <see cref="Lookups"/> and <see cref="Hits"/> are added once per batch without interlocked operations, so
/// concurrent readers may lose a few increments (they are for monitoring, not accounting).
/// </summary>
/// <param name="Inserted">Flows installed into a free place (not counting replacements).</param>
/// <param name="Replaced">Installs that replaced a live flow with the same match and priority.</param>
/// <param name="Removed">Flows taken out by <see cref="MegaflowClassifier.Remove"/>.</param>
/// <param name="Evicted">Flows evicted to make room when the classifier was full.</param>
/// <param name="Expired">Flows taken out by <see cref="MegaflowClassifier.Expire"/>.</param>
/// <param name="Invalidated">Flows taken out by <see cref="MegaflowClassifier.InvalidateByTag"/> or <see cref="MegaflowClassifier.InvalidateAll"/>.</param>
/// <param name="Lookups">Keys looked up (racy).</param>
/// <param name="Hits">Keys that found a flow (racy).</param>
public readonly record struct ClassifierStatistics(
    long Inserted, long Replaced, long Removed, long Evicted, long Expired, long Invalidated, long Lookups, long Hits);
