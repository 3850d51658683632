namespace NetFabric.Datapath.Dpdk;

/// <summary>Settings of a <see cref="DpdkPort"/> beyond the device it is opened on.</summary>
public sealed record DpdkPortOptions
{
    /// <summary>The port's name in errors and statistics; null for the device's name (the devargs before the first comma).</summary>
    public string? Name { get; init; }

    /// <summary>The port number stamped into <see cref="Buffers.PacketBuffer.InPort"/> of every received buffer.</summary>
    public uint InPort { get; init; }

    /// <summary>
    /// Receive queues, and as many transmit queues (default 1). With more than one, the device spreads flows over
    /// them by RSS where its driver hashes (<see cref="DpdkPort.ReceiveSideScaling"/>); a pipeline gives each queue
    /// to a worker.
    /// </summary>
    public int Queues { get; init; } = 1;

    /// <summary>Descriptors per receive queue (default 1024; the driver may round it to what it supports).</summary>
    public int RxDescriptors { get; init; } = 1024;

    /// <summary>Descriptors per transmit queue (default 1024; the driver may round it).</summary>
    public int TxDescriptors { get; init; } = 1024;

    /// <summary>Receive frames addressed to any MAC, as a switch port must (default true). Drivers without the notion ignore it.</summary>
    public bool Promiscuous { get; init; } = true;

    /// <summary>
    /// Whether bursts skip the GC transition (<c>SuppressGCTransition</c>). Null (default) chooses from the driver:
    /// on for drivers whose bursts are pure memory and never enter the kernel (net_null, net_ring), off for
    /// everything else (net_pcap reads and writes files, net_af_packet and net_tap make system calls, a PCI
    /// driver's behaviour is not known here). Set true only for a driver you know never blocks: a blocked
    /// suppressed call stalls every thread waiting for a garbage collection.
    /// </summary>
    public bool? SuppressGCTransition { get; init; }

    /// <summary>Capacity of each ring of a <see cref="DpdkPort.CreateRingPair"/> pair (a power of two; default 1024).</summary>
    public int RingSize { get; init; } = 1024;

    internal void Validate()
    {
        var problems = new List<string>();
        if (Queues is < 1 or > 64) problems.Add("Queues must be between 1 and 64.");
        if (RxDescriptors is < 1 or > ushort.MaxValue) problems.Add("RxDescriptors must be between 1 and 65535.");
        if (TxDescriptors is < 1 or > ushort.MaxValue) problems.Add("TxDescriptors must be between 1 and 65535.");
        if (RingSize < 2 || (RingSize & (RingSize - 1)) != 0) problems.Add("RingSize must be a power of two, at least 2.");
        if (problems.Count > 0) throw new ArgumentException("Invalid DPDK port options: " + string.Join(" ", problems));
    }
}
