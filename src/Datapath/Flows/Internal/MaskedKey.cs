namespace NetFabric.Datapath.Flows.Internal;

/// <summary>
/// A flow's masked key together with the shape (mask and priority) it was masked by. One struct so the two sit next
/// to each other in the entry: a lookup that finds an entry through a subtable's slot checks both (the shape says the
/// entry belongs to that subtable, see <see cref="FlowTable"/>), and they share the cache lines it prefetches.
/// </summary>
internal readonly struct MaskedKey(FlowShape shape, in FlowKey key)
{
    public readonly FlowShape Shape = shape;
    public readonly FlowKey Key = key;
}
