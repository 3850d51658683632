namespace NetFabric.Datapath.Dpdk;

/// <summary>
/// A DPDK device's own counters (rte_eth_stats), as its driver keeps them; what each means exactly depends on the
/// driver (net_ring, for one, counts a transmit that found the ring full as <see cref="TxErrors"/>).
/// </summary>
/// <param name="RxPackets">Packets the device received (ipackets).</param>
/// <param name="TxPackets">Packets the device sent (opackets).</param>
/// <param name="RxBytes">Bytes received (ibytes).</param>
/// <param name="TxBytes">Bytes sent (obytes).</param>
/// <param name="RxMissed">Packets dropped by the device because no receive descriptor was free (imissed).</param>
/// <param name="RxErrors">Erroneous received packets (ierrors).</param>
/// <param name="TxErrors">Failed transmissions (oerrors).</param>
/// <param name="RxNoMbuf">Receive mbuf allocation failures: the mempool ran dry (rx_nombuf).</param>
public readonly record struct DpdkDeviceStatistics(
    long RxPackets, long TxPackets, long RxBytes, long TxBytes, long RxMissed, long RxErrors, long TxErrors, long RxNoMbuf);
