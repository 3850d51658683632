using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.Engine;

/// <summary>
/// Invalidation tags for state entries, distinct from device and port ids: a flow carries the tag of every
/// entry its decision relied on, and changing the entry invalidates exactly those flows.
/// </summary>
public static class Tags
{
    /// <summary>The tag of MAC table entry (<paramref name="vlan"/>, <paramref name="mac"/>) in device <paramref name="device"/>.</summary>
    public static ulong MacEntry(ulong device, int vlan, MacAddress mac) =>
        FlowHash.Finish(FlowHash.Mix(FlowHash.Mix(0x4D41_4345_4E54_5259UL, device), ((ulong)(uint)vlan << 48) ^ mac.Value)) | 1UL << 63;
}
