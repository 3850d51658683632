using NetFabric.Datapath.Buffers;

namespace NetFabric.Datapath.Actions;

/// <summary>
/// Where an executing <see cref="ActionProgram"/> hands packets: the worker's per-port transmit batches, its
/// upcall path, its drop counter. Each call transfers ownership of the buffer to the sink.
/// </summary>
public interface IActionSink
{
    /// <summary>Queue <paramref name="packet"/> for transmission on datapath port <paramref name="port"/>.</summary>
    void Output(uint port, PacketBuffer packet);

    /// <summary>Give <paramref name="packet"/> to the flow resolver (e.g. its TTL would expire, or the program asks for it).</summary>
    void ToResolver(PacketBuffer packet, ResolverReason reason);

    /// <summary>
    /// Discard <paramref name="packet"/> (counted by reason). With <see cref="DropReason.NoBuffer"/> the packet may be
    /// the null handle (<see cref="PacketBuffer.IsNull"/>): a copy for an output that could not be made, so there is
    /// nothing to release (<see cref="PacketBuffer.Release"/> on it does nothing) but the drop still counts.
    /// </summary>
    void Drop(PacketBuffer packet, DropReason reason);
}
