using System.Diagnostics;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Pipeline.Internal;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Ports.Internal;

namespace NetFabric.Datapath.Pipeline;

/// <summary>
/// A datapath: ports, a shared megaflow cache, a flow resolver, and run-to-completion <see cref="Worker"/>s
/// (one per core by default, pinned on Linux). Each port receive queue is polled by one worker; when a port has
/// a single queue and there are several workers, its worker hands packets to the others by flow hash (software
/// RSS), so every flow stays on one worker. Configure (ports, resolver) before <see cref="Start"/>; or drive it
/// without threads with <see cref="Poll"/> (tests, single-threaded appliances).
/// </summary>
public sealed class PacketPipeline : IDisposable
{
    private readonly List<PortSlot> _ports = [];
    private readonly List<Worker> _workers = [];
    private readonly List<Thread> _threads = [];
    private readonly HashSet<PortSlot> _distributed = [];
    private PortSlot?[] _portTable = [null];
    private volatile bool _running;
    private bool _prepared;
    private long _nextMaintenance;
    private readonly int _expirySlices;

    /// <summary>Creates a pipeline; throws <see cref="ArgumentException"/> naming every invalid option.</summary>
    public PacketPipeline(PipelineOptions? options = null)
    {
        Options = options ?? new PipelineOptions();
        Options.Validate();
        Flows = new MegaflowClassifier(Options.FlowCapacity);
        _expirySlices = (int)Math.Clamp(ExpirySweep.Ticks / Options.MaintenanceInterval.Ticks, 1, 1000);
        EmitPool = new PacketPool(Math.Max(256, Options.Workers * 256));
        for (int i = 0; i < Options.Workers; i++) _workers.Add(new Worker(this, i));
        Metrics = new DatapathMetrics(this);
    }

    /// <summary>The options the pipeline runs with.</summary>
    public PipelineOptions Options { get; }

    /// <summary>The megaflow cache shared by all workers (invalidate flows through it).</summary>
    public MegaflowClassifier Flows { get; }

    /// <summary>Decides for packets no cached flow matched. Set before <see cref="Start"/>; null drops misses.</summary>
    public IFlowResolver? Resolver { get; set; }

    /// <summary>The workers.</summary>
    public IReadOnlyList<Worker> Workers => _workers;

    /// <summary>The meter instruments publishing this pipeline's counters.</summary>
    public DatapathMetrics Metrics { get; }

    /// <summary>True between <see cref="Start"/> and <see cref="Stop"/>.</summary>
    public bool IsRunning => _running;

    internal List<Worker> WorkerList => _workers;

    internal PacketPool EmitPool { get; }

    /// <summary>
    /// Attaches <paramref name="port"/> and returns its datapath port number (1, 2, …), which action programs'
    /// outputs and flow keys' <c>InPort</c> refer to. Only before the pipeline first runs.
    /// </summary>
    public uint AddPort(IPacketPort port)
    {
        ArgumentNullException.ThrowIfNull(port);
        if (_prepared) throw new InvalidOperationException($"Port '{port.Name}' cannot be added after the pipeline has started.");
        if (_ports.Any(p => p.Port.Name == port.Name)) throw new ArgumentException($"A port named '{port.Name}' is already attached.", nameof(port));
        var slot = new PortSlot((uint)_ports.Count + 1, port, Options.Workers);
        _ports.Add(slot);
        return slot.Number;
    }

    /// <summary>The attached ports, by datapath port number.</summary>
    public IReadOnlyDictionary<uint, IPacketPort> Ports => _ports.ToDictionary(p => p.Number, p => p.Port);

    /// <summary>The sum of every worker's counters.</summary>
    public DatapathStatistics Statistics
    {
        get
        {
            DatapathStatistics total = default;
            foreach (var worker in _workers) total += worker.Statistics;
            return total;
        }
    }

    /// <summary>Starts one thread per worker. Returns at once.</summary>
    public void Start()
    {
        if (_running) return;
        Prepare();
        _running = true;
        foreach (var worker in _workers)
        {
            var thread = new Thread(() => Run(worker)) { IsBackground = true, Name = $"netfabric-worker-{worker.Id}" };
            _threads.Add(thread);
            thread.Start();
        }
    }

    /// <summary>Stops the worker threads and waits for them. Flows and statistics are kept.</summary>
    public void Stop()
    {
        if (!_running) return;
        _running = false;
        foreach (var thread in _threads) thread.Join();
        _threads.Clear();
    }

    /// <summary>
    /// Runs one iteration of every worker on the calling thread (the pipeline must not be started) and returns the
    /// number of packets processed. Deterministic: for tests and for appliances that own their own loop.
    /// </summary>
    public int Poll()
    {
        if (_running) throw new InvalidOperationException("Poll drives a pipeline without threads; this one was started.");
        Prepare();
        int processed = 0;
        long now = Stopwatch.GetTimestamp();
        foreach (var worker in _workers) processed += worker.RunOnce(now);
        Maintain(now);
        return processed;
    }

    internal bool DistributesByFlowHash(PortSlot slot) => _distributed.Contains(slot);

    private void Prepare()
    {
        if (_prepared) return;
        _prepared = true;
        _portTable = new PortSlot?[_ports.Count + 1];
        foreach (var slot in _ports) _portTable[slot.Number] = slot;
        foreach (var worker in _workers)
        {
            worker.SetPorts(_portTable);
            worker.Inboxes = _workers.Count > 1
                ? _workers.Select(_ => new SpscRing<PacketBuffer>(1024)).ToArray()
                : [];
        }
        // Queues round-robin over workers; a single-queue port with several workers distributes by flow hash.
        int next = 0;
        foreach (var slot in _ports)
        {
            for (int queue = 0; queue < slot.QueueCount; queue++)
                _workers[next++ % _workers.Count].Assign(slot, queue);
            if (slot.QueueCount == 1 && _workers.Count > 1) _distributed.Add(slot);
        }
    }

    private void Run(Worker worker)
    {
        if (Options.PinThreads) ThreadAffinity.TryPinCurrentThread(worker.Id % Environment.ProcessorCount);
        int idle = 0;
        while (_running)
        {
            // One clock read per iteration serves the whole burst and the maintenance check (a clock read costs
            // tens of nanoseconds on some virtual machines).
            long now = Stopwatch.GetTimestamp();
            int processed = worker.RunOnce(now);
            if (worker.Id == 0) Maintain(now);
            if (processed > 0)
            {
                idle = 0;
                continue;
            }
            if (Options.IdlePollsBeforeSleep > 0 && ++idle >= Options.IdlePollsBeforeSleep && worker.ParkedCount == 0)
            {
                Thread.Sleep(1);
                idle = Options.IdlePollsBeforeSleep / 2;
            }
        }
    }

    private void Maintain(long now)
    {
        if (now < _nextMaintenance) return;
        _nextMaintenance = now + (long)(Options.MaintenanceInterval.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
        Flows.ExpireSlice(now, _expirySlices);
    }

    // Expiry sweeps the whole flow table once per this period, a slice every MaintenanceInterval: a full scan of a
    // million flows takes about 12 ms under the classifier's write lock, too long to repeat every 100 ms on a worker.
    private static readonly TimeSpan ExpirySweep = TimeSpan.FromSeconds(1);

    /// <summary>Stops the workers, releases parked packets, and disposes the metrics and the emit pool. Ports are the caller's.</summary>
    public void Dispose()
    {
        Stop();
        foreach (var worker in _workers) worker.ReleaseParked();
        Metrics.Dispose();
        EmitPool.Dispose();
    }
}
