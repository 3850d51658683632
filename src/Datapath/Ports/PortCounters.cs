using System.Runtime.InteropServices;

namespace NetFabric.Datapath.Ports;

/// <summary>
/// Counters for one queue of a port, for port implementations. Each queue has a single receiving and a single
/// transmitting caller, so updates are plain adds (no interlocked cost); readers take racy but monotonic
/// snapshots. Padded to its own cache line so two queues' counters never share one.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 128)]
public struct PortCounters
{
    /// <summary>Packets received.</summary>
    public long RxPackets;
    /// <summary>Bytes received.</summary>
    public long RxBytes;
    /// <summary>Packets sent.</summary>
    public long TxPackets;
    /// <summary>Bytes sent.</summary>
    public long TxBytes;
    /// <summary>Receive drops.</summary>
    public long RxDrops;
    /// <summary>Transmit drops.</summary>
    public long TxDrops;
    /// <summary>Errors.</summary>
    public long Errors;

    /// <summary>A snapshot of these counters.</summary>
    public readonly PortStatistics Snapshot() => new(
        Volatile.Read(in RxPackets), Volatile.Read(in RxBytes), Volatile.Read(in TxPackets), Volatile.Read(in TxBytes),
        Volatile.Read(in RxDrops), Volatile.Read(in TxDrops), Volatile.Read(in Errors));

    /// <summary>The sum of the snapshots of every queue's counters.</summary>
    public static PortStatistics Sum(ReadOnlySpan<PortCounters> queues)
    {
        PortStatistics total = default;
        foreach (ref readonly var queue in queues) total += queue.Snapshot();
        return total;
    }
}
