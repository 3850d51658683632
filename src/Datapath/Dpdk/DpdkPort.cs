using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Buffers.Internal;
using NetFabric.Datapath.Dpdk.Internal;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Dpdk;

/// <summary>
/// A poll-mode port on a DPDK ethernet device: a virtual device (<c>net_null</c>, <c>net_ring</c>,
/// <c>net_pcap</c>, <c>net_af_packet</c>, <c>net_tap</c>, <c>net_memif</c>) or a PCI NIC, with one or more queue
/// pairs. Zero copy: the buffers <see cref="RxBurst"/> returns are the received mbufs' own data, and
/// <see cref="TxBurst"/> hands mbufs back to DPDK as they are. One native call per burst.
/// </summary>
/// <remarks>
/// <para><b>Receive</b> takes up to 64 mbufs from the device and hands them out as they are: a
/// <see cref="PacketBuffer"/> is an rte_mbuf pointer (NetFabric's descriptor shares the mbuf's layout), so the
/// only per-packet work is one 8-byte store of the options' in-port and the ownership flag into NetFabric's dynamic
/// mbuf field, which also marks flow hash, tunnel and timestamp as absent. A frame that is not one direct, exclusive
/// segment (a jumbo frame chained over several mbufs, an indirect or shared mbuf) is freed and counted in
/// <see cref="PortStatistics.RxDrops"/>: the datapath rewrites frames in place and reads them as one span.</para>
/// <para><b>Transmit</b> hands the mbufs to rte_eth_tx_burst as they are (the datapath keeps the mbuf's offset and
/// lengths up to date as it edits a frame); what the device did not take is freed in bulk and counted in
/// <see cref="PortStatistics.TxDrops"/>. A buffer that is not an mbuf (from a <see cref="PacketPool"/>: packets the
/// resolver emitted, clones) is copied into an mbuf taken from the runtime's mempool in one bulk allocation per
/// burst, and released; when the mempool is empty it is dropped and counted.</para>
/// <para><b>Statistics</b> are the port's own per-queue counters plus the device's: its misses and mbuf allocation
/// failures are added to <see cref="PortStatistics.RxDrops"/>, its receive and transmit errors to
/// <see cref="PortStatistics.Errors"/> (<see cref="DeviceStatistics"/> gives them raw).</para>
/// <para><b>Threads.</b> Each queue may be received on by one thread and transmitted on by one thread at a time
/// (the <see cref="IPacketPort"/> contract). Calling threads are registered with DPDK on their first burst and
/// flush their queued mbuf releases at every burst. Whether bursts skip the GC transition is chosen per port
/// (<see cref="SuppressesGCTransition"/>). Disposing while a burst runs is safe: disposal waits for it.</para>
/// <para>Bursts allocate nothing and never throw for traffic reasons; a wrong queue number is a programming error
/// (<see cref="ArgumentOutOfRangeException"/>).</para>
/// </remarks>
public sealed unsafe class DpdkPort : IPacketPort
{
    private const int MaximumBurst = DpdkAbi.MaximumBurst;

    // Drivers whose bursts only touch memory: no system call, no file I/O, nothing that can block.
    private static readonly HashSet<string> PureMemoryDrivers = new(StringComparer.Ordinal) { "net_null", "net_ring" };

    private readonly DpdkRuntime _runtime;
    private readonly ushort _portId;
    private readonly uint _inPort;
    private readonly bool _fast;
    private readonly PortCounters[] _counters;
    private readonly BurstGate[] _gates;
    // Per queue: MaximumBurst staged descriptor pointers, then MaximumBurst freshly allocated ones (transmit copies).
    private readonly PacketDescriptor** _scratch;
    private readonly RingPairRings? _rings;
    private DpdkDeviceStatistics _finalDeviceStatistics;
    private int _disposed;

    private DpdkPort(DpdkRuntime runtime, string name, string device, in NativePortInfo info, DpdkPortOptions options, RingPairRings? rings)
    {
        _runtime = runtime;
        _portId = info.PortId;
        _inPort = options.InPort;
        _rings = rings;
        Name = name;
        Device = device;
        QueueCount = options.Queues;
        fixed (byte* driver = info.DriverName) DriverName = Marshal.PtrToStringUTF8((nint)driver) ?? "";
        fixed (byte* mac = info.Mac) MacAddress = MacAddress.Read(new ReadOnlySpan<byte>(mac, 6));
        ReceiveSideScaling = info.Rss != 0;
        Promiscuous = info.Promiscuous != 0;
        RxDescriptors = info.RxDescriptors;
        TxDescriptors = info.TxDescriptors;
        _fast = options.SuppressGCTransition ?? PureMemoryDrivers.Contains(DriverName);
        _counters = new PortCounters[QueueCount];
        _gates = new BurstGate[QueueCount];
        nuint scratchBytes = (nuint)(QueueCount * 2 * MaximumBurst * sizeof(PacketDescriptor*));
        _scratch = (PacketDescriptor**)NativeMemory.AlignedAlloc(scratchBytes, 64);
    }

    /// <summary>
    /// Opens a port on <paramref name="device"/>, configures its queues (RSS when there are several and the driver
    /// hashes), turns promiscuous mode on (unless the options say otherwise) and starts it. A device the runtime
    /// already has (from <see cref="DpdkRuntimeOptions.VirtualDevices"/> or an allowed PCI device) is used as it is;
    /// any other is hot-plugged from the string, so <c>Create(runtime, "net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap")</c>
    /// needs no EAL argument. Blocks while the driver starts; allocates.
    /// </summary>
    /// <param name="runtime">The process's DPDK runtime.</param>
    /// <param name="device">
    /// DPDK devargs: a virtual device's name starting with its driver's (<c>net_null0</c>, <c>net_ring0</c> — one
    /// ring that loops what the port sends back to it —, <c>net_pcap0,rx_pcap=a.pcap,tx_pcap=b.pcap</c>,
    /// <c>net_af_packet0,iface=eth1</c>, <c>net_tap0,iface=nf0</c>, <c>net_memif0,role=client,socket=/run/memif.sock</c>)
    /// or a PCI address (<c>0000:03:00.0</c>) listed in <see cref="DpdkRuntimeOptions.PciDevices"/>.
    /// </param>
    /// <param name="options">Queues, descriptors, promiscuity, name and in-port; null for the defaults.</param>
    /// <exception cref="PortException">DPDK could not probe, configure or start the device; the message gives DPDK's error and what to check.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static DpdkPort Create(DpdkRuntime runtime, string device, DpdkPortOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        options ??= new DpdkPortOptions();
        options.Validate();
        ObjectDisposedException.ThrowIf(runtime.IsDisposed, runtime);
        string deviceName = device.Split(',')[0];
        string name = options.Name ?? deviceName;

        ushort portId;
        int result;
        fixed (byte* devargs = Utf8(device)) result = DpdkNative.PortAttach(devargs, &portId);
        if (result >= 0 && runtime.OpenPortName(portId) is string open)
            throw new PortException($"Cannot open DPDK port '{name}' on '{device}': the device is already open as port '{open}'. Dispose that port first.", device);
        if (result < 0)
            throw Failure(name, device, "DPDK could not probe the device", -result,
                "Check the devargs: a virtual device's name starts with its driver's (net_null, net_ring, net_pcap, net_af_packet, net_tap, net_memif) " +
                "and its arguments must be valid for that driver; a PCI device must be bound to vfio-pci (or uio) and listed in DpdkRuntimeOptions.PciDevices. " +
                "DPDK's log lines above give its reason.");
        return Open(runtime, name, device, portId, options, rings: null);
    }

    /// <summary>
    /// Creates two connected in-memory DPDK ports over a pair of rte_rings (rte_eth_from_rings): what one transmits
    /// the other receives, mbuf by mbuf, with no copy. DPDK's counterpart of <see cref="RingPort.CreatePair"/>, for
    /// tests, benchmarks and wiring a pipeline to a DPDK traffic source in the same process. One queue each; bursts
    /// skip the GC transition (pure memory). The rings are freed when both ports are disposed.
    /// </summary>
    /// <exception cref="PortException">The rings or the ports could not be created (names in use, out of memory).</exception>
    public static (DpdkPort First, DpdkPort Second) CreateRingPair(DpdkRuntime runtime, string firstName, string secondName, DpdkPortOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentException.ThrowIfNullOrWhiteSpace(firstName);
        ArgumentException.ThrowIfNullOrWhiteSpace(secondName);
        options ??= new DpdkPortOptions();
        options.Validate();
        if (options.Queues != 1) throw new ArgumentException("A ring pair has one queue per port.", nameof(options));
        ObjectDisposedException.ThrowIf(runtime.IsDisposed, runtime);

        ushort first, second;
        nint* rings = stackalloc nint[2];
        int result;
        fixed (byte* a = Utf8(firstName))
        fixed (byte* b = Utf8(secondName))
            result = DpdkNative.RingPairCreate(a, b, (uint)options.RingSize, &first, &second, rings);
        if (result < 0)
            throw Failure(firstName, $"{firstName}/{secondName}", "DPDK could not create the ring pair", -result,
                "Use names no other port has, and give DPDK enough memory for two rings of RingSize entries.");
        var shared = new RingPairRings(rings[0], rings[1]);
        DpdkPort? firstPort = null;
        try
        {
            firstPort = Open(runtime, firstName, firstName, first, options with { Name = firstName }, shared);
            return (firstPort, Open(runtime, secondName, secondName, second, options with { Name = secondName }, shared));
        }
        catch
        {
            if (firstPort is null) DpdkNative.PortClose(first, removeDevice: 1);
            else firstPort.Dispose();
            DpdkNative.PortClose(second, removeDevice: 1);
            shared.Release();
            shared.Release();
            throw;
        }
    }

    private static DpdkPort Open(DpdkRuntime runtime, string name, string device, ushort portId, DpdkPortOptions options, RingPairRings? rings)
    {
        var config = new NativePortConfig
        {
            Queues = (ushort)options.Queues,
            RxDescriptors = (ushort)options.RxDescriptors,
            TxDescriptors = (ushort)options.TxDescriptors,
            Promiscuous = options.Promiscuous ? (byte)1 : (byte)0,
        };
        NativePortInfo info;
        int result = DpdkNative.PortConfigure(portId, &config, runtime.Mempool, &info);
        if (result < 0)
        {
            if (rings is null) DpdkNative.PortClose(portId, removeDevice: 1);
            string advice = options.Queues > info.MaxRxQueues || options.Queues > info.MaxTxQueues
                ? $"The device offers at most {info.MaxRxQueues} receive and {info.MaxTxQueues} transmit queues; ask for fewer Queues."
                : "Check the descriptor counts and that the mempool's mbufs are large enough for the device; DPDK's log lines above give its reason.";
            throw Failure(name, device, "DPDK could not configure the device", -result, advice);
        }
        result = DpdkNative.PortStart(portId);
        if (result < 0)
        {
            if (rings is null) DpdkNative.PortClose(portId, removeDevice: 1);
            throw Failure(name, device, "DPDK could not start the device", -result,
                "The mempool may be too small for every receive queue's descriptors (MbufCount); DPDK's log lines above give its reason.");
        }
        var port = new DpdkPort(runtime, name, device, info, options, rings);
        runtime.Attach(port);
        return port;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The devargs the port was opened with (or the ring pair end's name).</summary>
    public string Device { get; }

    /// <summary>DPDK's port id.</summary>
    public int PortId => _portId;

    /// <summary>The device's driver, e.g. "net_null", "net_ring", "net_pcap", "net_ixgbe".</summary>
    public string DriverName { get; }

    /// <summary>The device's MAC address.</summary>
    public MacAddress MacAddress { get; }

    /// <summary>True when the device spreads received flows over the queues by RSS (several queues and a driver that hashes).</summary>
    public bool ReceiveSideScaling { get; }

    /// <summary>True when the device is in promiscuous mode.</summary>
    public bool Promiscuous { get; }

    /// <summary>Descriptors per receive queue, as the driver adjusted them.</summary>
    public int RxDescriptors { get; }

    /// <summary>Descriptors per transmit queue, as the driver adjusted them.</summary>
    public int TxDescriptors { get; }

    /// <summary>Whether this port's bursts skip the GC transition (see <see cref="DpdkPortOptions.SuppressGCTransition"/>).</summary>
    public bool SuppressesGCTransition => _fast;

    /// <inheritdoc />
    public int QueueCount { get; }

    /// <summary>The device's link status (one native call; Down once disposed).</summary>
    public LinkState LinkState
    {
        get
        {
            if (Volatile.Read(ref _disposed) != 0) return LinkState.Down;
            NativeLink link;
            return DpdkNative.PortLink(_portId, &link) == 0 && link.Up != 0 ? LinkState.Up : LinkState.Down;
        }
    }

    /// <summary>
    /// The port's counters summed over its queues, with the device's misses and mbuf shortages added to
    /// <see cref="PortStatistics.RxDrops"/> and its errors to <see cref="PortStatistics.Errors"/>. One native call.
    /// </summary>
    public PortStatistics Statistics
    {
        get
        {
            var own = PortCounters.Sum(_counters);
            var device = DeviceStatistics;
            return own with
            {
                RxDrops = own.RxDrops + device.RxMissed + device.RxNoMbuf,
                Errors = own.Errors + device.RxErrors + device.TxErrors,
            };
        }
    }

    /// <summary>The device's own counters (rte_eth_stats); after disposal, their last values. One native call.</summary>
    public DpdkDeviceStatistics DeviceStatistics => Volatile.Read(ref _disposed) != 0 ? _finalDeviceStatistics : ReadDeviceStatistics();

    /// <inheritdoc />
    public int RxBurst(int queue, Span<PacketBuffer> buffers)
    {
        if ((uint)queue >= (uint)QueueCount) ThrowNoSuchQueue(queue);
        if (buffers.IsEmpty) return 0;
        ref var gate = ref _gates[queue];
        // No fence here: Dispose's process-wide barrier orders this store before the read of _disposed below, so
        // either Dispose sees this burst in progress, or this burst sees the port disposed.
        Volatile.Write(ref gate.Receiving, 1);
        try
        {
            if (Volatile.Read(ref _disposed) != 0) return 0;
            DpdkThread.EnsureRegistered(_runtime);
            MbufRecycler.FlushCurrentThread();
            ushort wanted = (ushort)Math.Min(buffers.Length, MaximumBurst);
            NativeBurstResult result;
            int received;
            // A PacketBuffer is exactly one descriptor pointer, so the caller's span is the shim's output array.
            fixed (PacketBuffer* slots = buffers)
            {
                received = _fast
                    ? DpdkNative.RxBurstFast(_portId, (ushort)queue, (PacketDescriptor**)slots, wanted, _inPort, &result)
                    : DpdkNative.RxBurst(_portId, (ushort)queue, (PacketDescriptor**)slots, wanted, _inPort, &result);
            }
            ref var counters = ref _counters[queue];
            counters.RxPackets += received;
            counters.RxBytes += (long)result.Bytes;
            counters.RxDrops += result.Rejected;
            return received;
        }
        finally
        {
            Volatile.Write(ref gate.Receiving, 0);
        }
    }

    /// <inheritdoc />
    public int TxBurst(int queue, ReadOnlySpan<PacketBuffer> buffers)
    {
        if ((uint)queue >= (uint)QueueCount) ThrowNoSuchQueue(queue);
        if (buffers.IsEmpty) return 0;
        ref var gate = ref _gates[queue];
        Volatile.Write(ref gate.Transmitting, 1);
        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                _counters[queue].TxDrops += buffers.Length;
                foreach (var buffer in buffers) buffer.Release();
                return 0;
            }
            DpdkThread.EnsureRegistered(_runtime);
            MbufRecycler.FlushCurrentThread();
            int sent = 0;
            for (int start = 0; start < buffers.Length; start += MaximumBurst)
                sent += TransmitChunk(queue, buffers.Slice(start, Math.Min(MaximumBurst, buffers.Length - start)));
            return sent;
        }
        finally
        {
            Volatile.Write(ref gate.Transmitting, 0);
        }
    }

    private int TransmitChunk(int queue, ReadOnlySpan<PacketBuffer> chunk)
    {
        NativeBurstResult result = default;
        int sent;
        // A PacketBuffer is an rte_mbuf pointer when it came from DPDK: the caller's span is the shim's input. The
        // shim refuses (-1, nothing sent) a burst holding a pool buffer, which is then staged as a copy.
        fixed (PacketBuffer* given = chunk)
            sent = Transmit(queue, (PacketDescriptor**)given, chunk.Length, &result);
        int count = chunk.Length;
        if (sent < 0)
        {
            var staged = _scratch + queue * 2 * MaximumBurst;
            count = StageCopies(chunk, staged, staged + MaximumBurst);
            sent = count > 0 ? Transmit(queue, staged, count, &result) : 0;
        }
        ref var counters = ref _counters[queue];
        counters.TxPackets += sent;
        counters.TxBytes += (long)result.Bytes;
        counters.TxDrops += chunk.Length - sent;
        return sent;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Transmit(int queue, PacketDescriptor** mbufs, int count, NativeBurstResult* result) => _fast
        ? DpdkNative.TxBurstFast(_portId, (ushort)queue, mbufs, (ushort)count, result)
        : DpdkNative.TxBurst(_portId, (ushort)queue, mbufs, (ushort)count, result);

    /// Puts the chunk's mbufs in <paramref name="staged"/> as they are and a copy of every other buffer in a fresh
    /// mbuf (one bulk allocation); the copied buffers are released. Returns how many were staged.
    private int StageCopies(ReadOnlySpan<PacketBuffer> chunk, PacketDescriptor** staged, PacketDescriptor** fresh)
    {
        int foreign = 0;
        foreach (var buffer in chunk)
            if (!buffer.Descriptor->IsNative) foreign++;
        int allocated = DpdkNative.AllocBurst(_runtime.Mempool, fresh, (ushort)foreign);
        int used = 0, count = 0;
        foreach (var buffer in chunk)
        {
            var source = buffer.Descriptor;
            if (source->IsNative)
            {
                staged[count++] = source;
                continue;
            }
            if (used < allocated)
            {
                var copy = fresh[used];
                if (source->Length <= copy->Capacity - copy->DataOffset)
                {
                    used++;
                    new ReadOnlySpan<byte>(source->Buffer + source->DataOffset, source->Length)
                        .CopyTo(new Span<byte>(copy->Buffer + copy->DataOffset, source->Length));
                    copy->Length = source->Length;
                    copy->PacketLength = source->Length;
                    staged[count++] = copy;
                }
            }
            // Copied, or dropped (no mbuf, or a frame longer than an mbuf): the pool's buffer goes home either way.
            buffer.Release();
        }
        // Mbufs left over because their frame did not fit go back at the thread's next flush.
        for (int i = used; i < allocated; i++) new PacketBuffer(fresh[i]).Release();
        return count;
    }

    private DpdkDeviceStatistics ReadDeviceStatistics()
    {
        NativePortStatistics s;
        if (DpdkNative.PortStats(_portId, &s) != 0) return default;
        return new DpdkDeviceStatistics((long)s.RxPackets, (long)s.TxPackets, (long)s.RxBytes, (long)s.TxBytes,
            (long)s.RxMissed, (long)s.RxErrors, (long)s.TxErrors, (long)s.RxNoMbuf);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowNoSuchQueue(int queue) =>
        throw new ArgumentOutOfRangeException(nameof(queue), $"Port '{Name}' has queues 0 to {QueueCount - 1}; {queue} is not one of them.");

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text + "\0");

    private static PortException Failure(string name, string device, string what, int error, string advice) =>
        new($"Cannot open DPDK port '{name}' on '{device}': {what} ({DpdkNative.ErrorText(error)}, error {error}). {advice}", device, error);

    /// <summary>
    /// Waits for bursts in progress to return, stops and closes the device (and removes it, so the same name can be
    /// opened again), and frees what the port allocated. Buffers received from the port stay valid (they belong to
    /// the runtime's mempool). Idempotent.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // The other half of the bursts' fence-free gate: after this, every processor has made its gate store
        // visible, so a burst that missed _disposed is seen below as in progress.
        Interlocked.MemoryBarrierProcessWide();
        var spin = new SpinWait();
        for (int i = 0; i < _gates.Length; i++)
        {
            ref var gate = ref _gates[i];
            while (Volatile.Read(ref gate.Receiving) != 0 || Volatile.Read(ref gate.Transmitting) != 0) spin.SpinOnce();
        }
        _finalDeviceStatistics = ReadDeviceStatistics();
        DpdkNative.PortClose(_portId, removeDevice: 1);
        _rings?.Release();
        NativeMemory.AlignedFree(_scratch);
        _runtime.Detach(this);
    }

    // Who is inside a burst on one queue, each flag on its own cache line so receive and transmit threads do not
    // share one, nor do queues.
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct BurstGate
    {
        [FieldOffset(0)] public int Receiving;
        [FieldOffset(64)] public int Transmitting;
    }

    // The two rings of a ring pair, freed when the second of its ports closes (either may still be sending into them).
    private sealed class RingPairRings(nint forward, nint backward)
    {
        private int _open = 2;

        public void Release()
        {
            if (Interlocked.Decrement(ref _open) != 0) return;
            DpdkNative.RingFree(forward);
            DpdkNative.RingFree(backward);
        }
    }
}
