using System.Runtime.InteropServices;
using System.Text;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Buffers.Internal;
using NetFabric.Datapath.Dpdk.Internal;

namespace NetFabric.Datapath.Dpdk;

/// <summary>
/// DPDK in this process: its environment (the EAL), the packet mempool every <see cref="DpdkPort"/> receives into,
/// and the bookkeeping that lets mbufs travel through NetFabric as ordinary <see cref="PacketBuffer"/>s. DPDK allows
/// one EAL per process, initialised once: <see cref="Start"/> creates the one runtime, <see cref="Current"/> finds
/// it, and after <see cref="Dispose"/> no other can be started in the same process.
/// </summary>
/// <remarks>
/// <para><b>Zero copy.</b> NetFabric's packet descriptor shares rte_mbuf's layout, so the <see cref="PacketBuffer"/>
/// a worker sees is the received mbuf itself and a transmit hands it back to DPDK unchanged. The runtime reserves
/// 8 bytes of every mbuf (a dynamic field at offset 120: in-port and flags) right after the EAL starts, and gives
/// the mempool's mbufs a 64-byte private area (flow hash, tunnel, timestamp).</para>
/// <para><b>Releasing.</b> Releasing an mbuf-backed buffer (<see cref="PacketBuffer.Release"/>, or a port
/// dropping it) queues the mbuf on the calling thread; the queue is freed to the mempool in one call when 64 are
/// waiting and at the thread's next burst. A thread that released buffers and will not burst again (a test, a
/// control thread) calls <see cref="FlushReleases"/>; queues of threads that ended are flushed when a port is
/// disposed, and all queues when the runtime is.</para>
/// <para><b>Clones.</b> A clone of an mbuf-backed buffer (<see cref="PacketPool.TryClone"/>, used to send one
/// packet out of several ports) is an ordinary buffer rented from the runtime's clone pool
/// (<see cref="DpdkRuntimeOptions.ClonePoolSize"/>); a <see cref="DpdkPort"/> copies such buffers into fresh
/// mbufs when they are transmitted.</para>
/// <para><b>Threads.</b> Threads that call a port's bursts are registered with DPDK on their first burst
/// (rte_thread_register), giving each an lcore id and so its own slice of the mempool's per-lcore cache
/// (<see cref="DpdkRuntimeOptions.MbufCacheSize"/>): a worker's allocations and frees mostly stay in it. The cache
/// is only safe for the one thread that owns an lcore id, which is why registration comes first; threads that are
/// not registered (a control thread releasing a buffer, or one past RTE_MAX_LCORE — see
/// <see cref="UnregisteredThreads"/>) have no lcore id and DPDK sends their frees and allocations straight to the
/// mempool's shared lock-free ring, correct and only slower. The shim unregisters a thread when it exits. The
/// thread that calls <see cref="Start"/> becomes DPDK's main lcore (its CPU affinity is left as it was).</para>
/// <para>Thread-safe. <see cref="Start"/> and <see cref="Dispose"/> are cold paths that allocate.</para>
/// </remarks>
public sealed unsafe class DpdkRuntime : IDisposable
{
    private static readonly object Gate = new();
    private static DpdkRuntime? s_current;
    private static bool s_disposedOnce;
    // The EAL keeps state from a failed initialisation (parsed options, getopt's position), so a second attempt in
    // the same process fails in confusing ways; the first failure is reported again instead.
    private static DpdkException? s_ealFailure;

    private readonly MbufRecycler _recycler;
    private readonly List<DpdkPort> _ports = [];
    private readonly PacketPool _clonePool;
    private readonly nint _mempool;
    private int _registeredThreads;
    private int _unregisteredThreads;
    private int _disposed;

    private DpdkRuntime(DpdkRuntimeOptions options, IReadOnlyList<string> arguments, nint mempool, PacketPool clonePool)
    {
        Options = options;
        EalArguments = arguments;
        _mempool = mempool;
        _clonePool = clonePool;
        _recycler = new MbufRecycler(clonePool, DpdkNativeLibrary.Abi.MbufHeadroom);
        DpdkVersion = DpdkAbi.DpdkVersionOf(DpdkNativeLibrary.Abi);
        MbufHeadroom = DpdkNativeLibrary.Abi.MbufHeadroom;
    }

    /// <summary>The running runtime of this process, or null.</summary>
    public static DpdkRuntime? Current => Volatile.Read(ref s_current);

    /// <summary>
    /// Loads the shim, initialises DPDK's environment with <paramref name="options"/> and creates the packet
    /// mempool. Blocks for as long as the EAL takes to start (milliseconds without hugepages; longer with many).
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid (all invalid options are named).</exception>
    /// <exception cref="DpdkUnavailableException">The shim or DPDK's libraries cannot be loaded; the message says what to install and how to build the shim.</exception>
    /// <exception cref="InvalidOperationException">
    /// A runtime is already running in this process, one was disposed, or an earlier start failed: DPDK cannot
    /// initialise its environment twice in one process.
    /// </exception>
    /// <exception cref="DpdkException">The EAL refused to start (not root, no hugepages, a clashing file prefix…) or the mempool could not be created.</exception>
    public static DpdkRuntime Start(DpdkRuntimeOptions? options = null)
    {
        options ??= new DpdkRuntimeOptions();
        options.Validate();
        lock (Gate)
        {
            DpdkNativeLibrary.EnsureLoaded(options.NativeLibraryFolder, options.SearchDefaultLocations);
            if (s_current is not null)
                throw new InvalidOperationException("A DPDK runtime is already running in this process; DPDK allows one environment (EAL) per process. Use DpdkRuntime.Current.");
            if (s_disposedOnce)
                throw new InvalidOperationException("This process's DPDK runtime was disposed; DPDK cannot initialise its environment (EAL) twice in one process.");

            if (s_ealFailure is not null)
                throw new InvalidOperationException("DPDK's environment (EAL) failed to start earlier in this process and cannot be initialised again; restart the process. The first failure: " + s_ealFailure.Message, s_ealFailure);

            var arguments = options.ToEalArguments();
            int parsed = InitialiseEal(arguments);
            if (parsed < 0)
            {
                int error = -parsed;
                throw s_ealFailure = new DpdkException(
                    $"DPDK's environment (EAL) did not start: {DpdkNative.ErrorText(error)} (error {error}). Arguments: {string.Join(' ', arguments)}. " +
                    "The EAL needs root (or the capabilities for its memory and devices), hugepages unless NoHugePages is set, " +
                    "and a file prefix no other DPDK process uses; its log lines above say which step failed.", error);
            }

            int registered = DpdkNative.MetadataRegister();
            if (registered < 0)
            {
                int error = -registered;
                DpdkNative.EalCleanup();
                s_disposedOnce = true;
                throw new DpdkException(
                    $"DPDK could not reserve NetFabric's per-packet field in its mbufs (bytes 120 to 127, a dynamic mbuf field): {DpdkNative.ErrorText(error)} (error {error}). " +
                    "A driver probed while the environment started took those bytes: open virtual devices with DpdkPort.Create instead of DpdkRuntimeOptions.VirtualDevices.", error);
            }

            nint mempool;
            var name = Encoding.UTF8.GetBytes("netfabric_mbufs\0");
            fixed (byte* pointer = name)
                mempool = DpdkNative.PoolCreate(pointer, (uint)options.MbufCount, (uint)options.MbufCacheSize,
                    (ushort)(DpdkNativeLibrary.Abi.MbufHeadroom + options.MbufDataSize), socketId: -1);
            if (mempool == 0)
            {
                int error = DpdkNative.Errno();
                DpdkNative.EalCleanup();
                s_disposedOnce = true;
                throw new DpdkException(
                    $"DPDK could not create the packet mempool of {options.MbufCount} mbufs of {options.MbufDataSize} bytes: {DpdkNative.ErrorText(error)} (error {error}). " +
                    "Give DPDK more memory (MemoryMegabytes) or ask for fewer or smaller mbufs.", error);
            }

            // Clones of mbuf buffers must fit the same frames at the same offsets: same headroom, same room.
            var clonePool = new PacketPool(options.ClonePoolSize, options.MbufDataSize, DpdkNativeLibrary.Abi.MbufHeadroom);
            var runtime = new DpdkRuntime(options, arguments, mempool, clonePool);
            NativeBufferOwner.Install(runtime._recycler);
            Volatile.Write(ref s_current, runtime);
            return runtime;
        }
    }

    /// <summary>The options the runtime was started with.</summary>
    public DpdkRuntimeOptions Options { get; }

    /// <summary>The EAL argument vector the runtime was started with.</summary>
    public IReadOnlyList<string> EalArguments { get; }

    /// <summary>DPDK's version as the loaded library reports it (e.g. "DPDK 22.11.11").</summary>
    public string DpdkVersion { get; }

    /// <summary>Where the shim was loaded from.</summary>
    public static string? NativeLibraryPath => DpdkNativeLibrary.LoadedFrom;

    /// <summary>Headroom DPDK leaves in front of every received frame (RTE_PKTMBUF_HEADROOM, normally 128).</summary>
    public int MbufHeadroom { get; }

    /// <summary>Mbufs in the mempool.</summary>
    public int MbufCount => Options.MbufCount;

    /// <summary>
    /// Mbufs in the mempool now, including those parked in threads' mempool caches (a racy snapshot; one native
    /// call). Mbufs held by ports' receive rings, by buffers in flight and in release queues not yet flushed are
    /// not available.
    /// </summary>
    public int AvailableMbufs => _disposed != 0 ? 0 : (int)DpdkNative.PoolAvailable(_mempool);

    /// <summary>Threads registered with DPDK by their first burst (each has its own lcore id).</summary>
    public int RegisteredThreads => Volatile.Read(ref _registeredThreads);

    /// <summary>Threads whose registration failed (no free lcore id); they work without a mempool cache.</summary>
    public int UnregisteredThreads => Volatile.Read(ref _unregisteredThreads);

    /// <summary>
    /// Releases of mbuf-backed buffers that had already been released (ignored). A release after the buffer was
    /// transmitted is not detected: the mbuf then belongs to DPDK, and marking that on every transmitted packet
    /// would cost a store into another cache line per packet.
    /// </summary>
    public long DoubleReleases => _recycler.DoubleReleases;

    /// <summary>The pool clones of mbuf-backed buffers are rented from.</summary>
    public PacketPool ClonePool => _clonePool;

    internal nint Mempool => _mempool;

    internal MbufRecycler Recycler => _recycler;

    internal bool IsDisposed => _disposed != 0;

    /// <summary>
    /// Hands the mbufs this thread released, and that are still queued, back to DPDK. Bursts do it themselves; call
    /// it on a thread that released mbuf-backed buffers and will not call a burst again. Allocation-free.
    /// </summary>
    public void FlushReleases() => MbufRecycler.FlushCurrentThread();

    internal void CountRegisteredThread(bool failed)
    {
        if (failed) Interlocked.Increment(ref _unregisteredThreads);
        else Interlocked.Increment(ref _registeredThreads);
    }

    internal void Attach(DpdkPort port)
    {
        lock (_ports)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            _ports.Add(port);
        }
    }

    internal string? OpenPortName(ushort portId)
    {
        lock (_ports) return _ports.FirstOrDefault(p => p.PortId == portId)?.Name;
    }

    internal void Detach(DpdkPort port)
    {
        lock (_ports) _ports.Remove(port);
        _recycler.FlushAbandoned();
    }

    private static int InitialiseEal(IReadOnlyList<string> arguments)
    {
        // The EAL may keep pointers into argv (it is documented to permute it, and some options are stored as
        // given), so the strings are allocated once and never freed: a few hundred bytes for the process's life.
        var argv = (byte**)NativeMemory.Alloc((nuint)(arguments.Count + 1), (nuint)sizeof(byte*));
        for (int i = 0; i < arguments.Count; i++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(arguments[i] + "\0");
            var copy = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
            bytes.CopyTo(new Span<byte>(copy, bytes.Length));
            argv[i] = copy;
        }
        argv[arguments.Count] = null;
        return DpdkNative.EalInit(arguments.Count, argv);
    }

    /// <summary>
    /// Closes every port still open, frees the mempool and shuts DPDK's environment down. Stop every worker first
    /// (buffers still held by anyone point into freed memory afterwards). Idempotent; no runtime can be started in
    /// this process afterwards.
    /// </summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            DpdkPort[] ports;
            lock (_ports) ports = [.. _ports];
            foreach (var port in ports) port.Dispose();
            _recycler.FlushAll();
            NativeBufferOwner.Install(null);
            DpdkNative.PoolFree(_mempool);
            _clonePool.Dispose();
            DpdkNative.EalCleanup();
            s_disposedOnce = true;
            Volatile.Write(ref s_current, null);
        }
    }
}
