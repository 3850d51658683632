namespace NetFabric.Datapath.Ports;

/// <summary>A snapshot of a port's counters since it was created.</summary>
/// <param name="RxPackets">Packets received and handed to a caller.</param>
/// <param name="RxBytes">Bytes of those packets.</param>
/// <param name="TxPackets">Packets accepted for transmission.</param>
/// <param name="TxBytes">Bytes of those packets.</param>
/// <param name="RxDrops">Packets the port had to drop on receive (no buffer, ring full, oversize).</param>
/// <param name="TxDrops">Packets handed to TxBurst that could not be sent.</param>
/// <param name="Errors">Receive or transmit errors reported by the device or the kernel.</param>
public readonly record struct PortStatistics(long RxPackets, long RxBytes, long TxPackets, long TxBytes, long RxDrops, long TxDrops, long Errors)
{
    /// <summary>Adds two snapshots field by field.</summary>
    public static PortStatistics operator +(PortStatistics left, PortStatistics right) => new(
        left.RxPackets + right.RxPackets, left.RxBytes + right.RxBytes, left.TxPackets + right.TxPackets, left.TxBytes + right.TxBytes,
        left.RxDrops + right.RxDrops, left.TxDrops + right.TxDrops, left.Errors + right.Errors);
}
