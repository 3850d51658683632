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

    /// <summary>Discard <paramref name="packet"/> (counted by reason).</summary>
    void Drop(PacketBuffer packet, DropReason reason);
}
