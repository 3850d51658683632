using NetFabric.Datapath.Buffers;

namespace NetFabric.Datapath.Ports;

/// <summary>
/// A poll-mode packet port: a NIC queue pair, a raw socket, a capture file, an in-memory ring. Workers call
/// <see cref="RxBurst"/> and <see cref="TxBurst"/> in a loop; neither ever blocks or throws for traffic reasons
/// (a failed send is a counted drop). Each receive queue is polled by one worker at a time; transmit queues
/// likewise have one caller at a time.
/// </summary>
public interface IPacketPort : IDisposable
{
    /// <summary>The port's name, used in errors, statistics and metrics.</summary>
    string Name { get; }

    /// <summary>Number of receive queues (and transmit queues) the port offers; at least 1.</summary>
    int QueueCount { get; }

    /// <summary>Whether the port can carry traffic now.</summary>
    LinkState LinkState { get; }

    /// <summary>A snapshot of the port's counters, summed over its queues.</summary>
    PortStatistics Statistics { get; }

    /// <summary>
    /// Receives up to <c>buffers.Length</c> packets from <paramref name="queue"/> into <paramref name="buffers"/>
    /// and returns how many. The caller owns the received buffers. Returns 0 at once when nothing is waiting.
    /// </summary>
    int RxBurst(int queue, Span<PacketBuffer> buffers);

    /// <summary>
    /// Sends the packets in <paramref name="buffers"/> on <paramref name="queue"/> and returns how many were
    /// accepted. The port takes ownership of <em>every</em> buffer: those it could not send are counted as
    /// transmit drops and released, so the caller never has to clean up after a partial send.
    /// </summary>
    int TxBurst(int queue, ReadOnlySpan<PacketBuffer> buffers);
}
