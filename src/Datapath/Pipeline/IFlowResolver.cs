using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;

namespace NetFabric.Datapath.Pipeline;

/// <summary>
/// The upcall contract: decides what to do with a packet no cached flow matched (or that an action program sent
/// up, e.g. because its TTL would expire). The decision engine of NetFabric.Simulation implements it; so does the
/// <see cref="LearningSwitch"/>; an appliance can implement its own.
/// </summary>
/// <remarks>
/// Called on the worker thread that received the packet, so several workers may call it at once: implementations
/// must be thread-safe. It should not block: a decision that must wait (an ARP resolution) answers
/// <see cref="FlowResolution.Pending(TimeSpan, IReadOnlyList{EmittedPacket})"/> and the worker parks the packet. An exception thrown here costs
/// that one packet (counted as a resolver error), never the worker.
/// </remarks>
public interface IFlowResolver
{
    /// <summary>
    /// Decides for <paramref name="packet"/>, whose key is <paramref name="key"/>. The resolver may read the packet
    /// but does not own it: the worker applies the returned decision to it.
    /// </summary>
    FlowResolution Resolve(in FlowKey key, PacketBuffer packet, ResolverReason reason);
}
