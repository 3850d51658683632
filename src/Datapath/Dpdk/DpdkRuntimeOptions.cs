namespace NetFabric.Datapath.Dpdk;

/// <summary>
/// How <see cref="DpdkRuntime.Start"/> initialises DPDK's environment (the EAL) and its packet memory. The defaults
/// suit a host with hugepages configured; tests and machines without hugepages set <see cref="NoHugePages"/> and a
/// small <see cref="MemoryMegabytes"/> (e.g. 256).
/// </summary>
public sealed record DpdkRuntimeOptions
{
    /// <summary>
    /// Virtual devices created at start (EAL <c>--vdev</c>), e.g. <c>net_null0</c>, <c>net_ring0</c>,
    /// <c>net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap</c>, <c>net_tap0,iface=nf0</c>, <c>net_memif0,role=client</c>.
    /// Ports can also be created later from the same strings (<see cref="DpdkPort.Create"/> hot-plugs them).
    /// </summary>
    public IReadOnlyList<string> VirtualDevices { get; init; } = [];

    /// <summary>
    /// PCI devices DPDK may take (EAL <c>-a</c>, e.g. <c>0000:03:00.0</c>; they must be bound to vfio-pci or
    /// uio). Empty (the default) passes <c>--no-pci</c>, so starting the runtime never grabs a NIC by accident.
    /// </summary>
    public IReadOnlyList<string> PciDevices { get; init; } = [];

    /// <summary>
    /// The EAL core list (<c>-l</c>). One core is enough: NetFabric's workers are .NET threads registered with
    /// DPDK on their first burst (rte_thread_register), not EAL worker lcores. Default "0".
    /// </summary>
    public string Cores { get; init; } = "0";

    /// <summary>Memory DPDK reserves, in MiB (EAL <c>-m</c>); null lets DPDK decide (64 MiB without hugepages).</summary>
    public int? MemoryMegabytes { get; init; }

    /// <summary>Use ordinary memory instead of hugepages (EAL <c>--no-huge</c>): slower TLB behaviour, but no setup, and no PCI devices.</summary>
    public bool NoHugePages { get; init; }

    /// <summary>
    /// The EAL file prefix (<c>--file-prefix</c>), which keeps this process's runtime files apart from other DPDK
    /// processes'; null uses "netfabric-{process id}".
    /// </summary>
    public string? FilePrefix { get; init; }

    /// <summary>
    /// Keep no shared configuration files, so secondary processes (dpdk-pdump, dpdk-proc-info) cannot attach and no
    /// stale files are left behind (true by default): EAL <c>--in-memory</c>, or <c>--no-shconf</c> with
    /// <see cref="NoHugePages"/> (which the EAL does not combine with <c>--in-memory</c>).
    /// </summary>
    public bool InMemory { get; init; } = true;

    /// <summary>Run DPDK's telemetry socket (off by default: <c>--no-telemetry</c>).</summary>
    public bool Telemetry { get; init; }

    /// <summary>DPDK's log level (<c>--log-level</c>): emergency, alert, critical, error, warning (default), notice, info or debug.</summary>
    public string LogLevel { get; init; } = "warning";

    /// <summary>Further EAL arguments, appended as given.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>
    /// Mbufs in the runtime's packet mempool, shared by every port (as testpmd shares one per socket). Each port's
    /// receive queues hold <see cref="DpdkPortOptions.RxDescriptors"/> of them at all times, so size it as
    /// ports × queues × receive descriptors plus what is in flight. Best as 2^n − 1. Default 8191.
    /// </summary>
    public int MbufCount { get; init; } = 8191;

    /// <summary>Bytes of frame room in each mbuf after the headroom (the data room is headroom + this). Default 2048.</summary>
    public int MbufDataSize { get; init; } = 2048;

    /// <summary>
    /// Mbufs each registered thread keeps in its own mempool cache (0 to 512, at most MbufCount / 1.5), so most
    /// allocations and frees touch no shared cache line. Unregistered threads bypass the cache. Default 256.
    /// </summary>
    public int MbufCacheSize { get; init; } = 256;

    /// <summary>
    /// Buffers of the ordinary <see cref="Buffers.PacketPool"/> that clones of mbuf-backed buffers are rented from
    /// (an output to several ports, a clone action). Default 1024.
    /// </summary>
    public int ClonePoolSize { get; init; } = 1024;

    /// <summary>
    /// A folder searched first for libnetfabric_dpdk.so (before NETFABRIC_DPDK_NATIVE and the default places). The
    /// shim is loaded once per process: only the first <see cref="DpdkRuntime.Start"/> consults this.
    /// </summary>
    public string? NativeLibraryFolder { get; init; }

    /// <summary>
    /// Search the default places for the shim after the configured folders: the application's and this assembly's
    /// folders, their runtimes/linux-{arch}/native/, and the system library path. True by default.
    /// </summary>
    public bool SearchDefaultLocations { get; init; } = true;

    /// <summary>The EAL argument vector these options translate to (argv[0] is "netfabric").</summary>
    public IReadOnlyList<string> ToEalArguments()
    {
        var arguments = new List<string> { "netfabric", "-l", Cores };
        if (MemoryMegabytes is int megabytes) arguments.AddRange(["-m", megabytes.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (NoHugePages) arguments.Add("--no-huge");
        arguments.Add($"--file-prefix={FilePrefix ?? $"netfabric-{Environment.ProcessId}"}");
        if (InMemory) arguments.Add(NoHugePages ? "--no-shconf" : "--in-memory");
        if (!Telemetry) arguments.Add("--no-telemetry");
        arguments.Add($"--log-level={LogLevel}");
        if (PciDevices.Count == 0) arguments.Add("--no-pci");
        foreach (string device in PciDevices) arguments.AddRange(["-a", device]);
        foreach (string device in VirtualDevices) arguments.AddRange(["--vdev", device]);
        arguments.AddRange(ExtraArguments);
        return arguments;
    }

    /// <summary>Throws one <see cref="ArgumentException"/> naming every invalid option.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Cores)) problems.Add("Cores must name at least one core (e.g. \"0\").");
        if (MemoryMegabytes is <= 0) problems.Add("MemoryMegabytes must be positive when set.");
        if (FilePrefix is not null && (FilePrefix.Length == 0 || !FilePrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))) problems.Add("FilePrefix may hold only letters, digits, '_', '.' and '-'.");
        if (LogLevel is not ("emergency" or "alert" or "critical" or "error" or "warning" or "notice" or "info" or "debug"))
            problems.Add("LogLevel must be one of emergency, alert, critical, error, warning, notice, info, debug.");
        if (MbufCount < 64) problems.Add("MbufCount must be at least 64.");
        if (MbufDataSize is < 64 or > ushort.MaxValue - 1024) problems.Add("MbufDataSize must be between 64 and 64511 bytes.");
        if (MbufCacheSize < 0 || MbufCacheSize > 512 || MbufCacheSize > MbufCount / 1.5)
            problems.Add("MbufCacheSize must be between 0 and 512 and at most MbufCount / 1.5.");
        if (ClonePoolSize < 1) problems.Add("ClonePoolSize must be at least 1.");
        if (VirtualDevices.Any(string.IsNullOrWhiteSpace) || PciDevices.Any(string.IsNullOrWhiteSpace))
            problems.Add("VirtualDevices and PciDevices must not hold empty entries.");
        if (NoHugePages && PciDevices.Count > 0) problems.Add("PciDevices need hugepages (physical addresses); turn NoHugePages off.");
        if (problems.Count > 0) throw new ArgumentException("Invalid DPDK runtime options: " + string.Join(" ", problems));
    }
}
