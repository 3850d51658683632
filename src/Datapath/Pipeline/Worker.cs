using System.Diagnostics;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Internal;
using NetFabric.Datapath.Pipeline.Internal;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Ports.Internal;

namespace NetFabric.Datapath.Pipeline;

/// <summary>
/// One run-to-completion loop (an Open vSwitch PMD thread, a VPP worker): it polls its receive queues and, for
/// each burst, extracts flow keys, looks them up in its exact-match cache and then the shared megaflow
/// classifier, resolves misses on this same thread, executes the action programs and transmits per output port,
/// before polling again. Created and driven by <see cref="PacketPipeline"/>.
/// </summary>
public sealed partial class Worker
{
    private readonly PacketPipeline _pipeline;
    private readonly ExactMatchCache? _emc;
    private readonly uint _emcInsertOneIn;
    private ExactMatchGate _emcGate;
    // Whether _hashes holds this batch's full-key hashes (the batch looked the exact-match cache up).
    private bool _hashesValid;
    private readonly OutputBatcher _sink;
    private readonly WorkerCounters _counters = new();
    private readonly ParkingQueue _parking;
    private readonly List<(PortSlot Port, int Queue)> _queues = [];
    private readonly FlowKey[] _keys = new FlowKey[PacketBatch.MaximumSize];
    private readonly ulong[] _hashes = new ulong[PacketBatch.MaximumSize];
    // Miss slots (positions in _missOrder) still unresolved after the megaflow lookup.
    private readonly int[] _missIndices = new int[PacketBatch.MaximumSize];
    // The packets that missed the exact-match cache, in arrival order (_missIndices is compacted as they resolve).
    private readonly int[] _missOrder = new int[PacketBatch.MaximumSize];
    private readonly FlowKey[] _missKeys = new FlowKey[PacketBatch.MaximumSize];
    private readonly FlowEntry?[] _missResults = new FlowEntry?[PacketBatch.MaximumSize];
    private readonly PacketBuffer[] _rx = new PacketBuffer[PacketBatch.MaximumSize];
    private readonly PacketBuffer[] _mine = new PacketBuffer[PacketBatch.MaximumSize];
    // Per target worker: the packets of a burst being handed over to it (sized on the first hand-over).
    private PacketBuffer[][] _handOff = [];
    private int[] _handOffCounts = [];
    private readonly List<FlowEntry> _installedThisBatch = new(PacketBatch.MaximumSize);
    private readonly List<(PacketBuffer Packet, bool Expired, long Deadline)> _due = [];
    private TokenBucket[] _upcallBuckets = [];
    // Packets handed over by workers that received them on a single-queue port (software flow-hash distribution).
    internal SpscRing<PacketBuffer>[] Inboxes = [];

    internal Worker(PacketPipeline pipeline, int id)
    {
        _pipeline = pipeline;
        Id = id;
        _emc = pipeline.Options.ExactMatchCacheEntries > 0 ? new ExactMatchCache(pipeline.Options.ExactMatchCacheEntries) : null;
        _emcInsertOneIn = (uint)pipeline.Options.ExactMatchInsertOneIn;
        _emcGate = new ExactMatchGate(pipeline.Options.ExactMatchMinimumHitRate);
        _sink = new OutputBatcher(id, _counters);
        _parking = new ParkingQueue(pipeline.Options.ParkingCapacity);
    }

    /// <summary>The worker's index, 0-based.</summary>
    public int Id { get; }

    /// <summary>The receive queues this worker polls.</summary>
    public IEnumerable<(string Port, int Queue)> Queues => _queues.Select(q => (q.Port.Port.Name, q.Queue));

    /// <summary>A snapshot of this worker's counters.</summary>
    public DatapathStatistics Statistics => _counters.Snapshot();

    /// <summary>Packets parked now.</summary>
    public int ParkedCount => _parking.Count;

    internal void Assign(PortSlot port, int queue) => _queues.Add((port, queue));

    internal void SetPorts(PortSlot?[] ports)
    {
        _sink.SetPorts(ports);
        _upcallBuckets = new TokenBucket[ports.Length];
    }

    /// <summary>
    /// Polls every queue once and processes what arrived, plus handed-over and due parked packets. Returns the
    /// number of packets processed. Called in a loop by the pipeline's thread for this worker, or directly by
    /// <see cref="PacketPipeline.Poll"/> when the pipeline runs without threads.
    /// </summary>
    internal int RunOnce(long now)
    {
        int processed = 0;
        int burst = _pipeline.Options.BurstSize;
        foreach (var inbox in Inboxes)
        {
            int count = inbox.Dequeue(_rx.AsSpan(0, burst));
            if (count > 0)
            {
                Process(_rx.AsSpan(0, count), now);
                processed += count;
            }
        }
        foreach (var (slot, queue) in _queues)
        {
            int count = slot.Port.RxBurst(queue, _rx.AsSpan(0, burst));
            if (count == 0) continue;
            processed += count;
            var received = _rx.AsSpan(0, count);
            // Write only when it differs: a descriptor the worker does not dirty stays shared with the core that
            // produced it instead of bouncing between caches.
            uint number = slot.Number;
            foreach (ref var packet in received)
                if (packet.InPort != number) packet.InPort = number;
            bool distributed = _pipeline.DistributesByFlowHash(slot);
            if (distributed) received = HandOver(received);
            if (received.Length > 0) Process(received, now, keysExtracted: distributed);
        }
        if (_parking.Count > 0 && now >= _parking.NextRetry) RetryParked(now);
        return processed;
    }

    /// Keeps the packets whose flow hash maps to this worker and hands the rest to their workers' inboxes. The kept
    /// packets' keys and full-key hashes are left in _keys and _hashes, at the packets' positions in the result, so
    /// Process does not extract and hash them a second time.
    private Span<PacketBuffer> HandOver(Span<PacketBuffer> received)
    {
        var workers = _pipeline.WorkerList;
        if (_handOff.Length != workers.Count)
        {
            _handOff = new PacketBuffer[workers.Count][];
            for (int w = 0; w < workers.Count; w++) _handOff[w] = new PacketBuffer[PacketBatch.MaximumSize];
            _handOffCounts = new int[workers.Count];
        }
        int mine = 0;
        foreach (var packet in received)
        {
            // Extracted straight into the next kept slot: a packet handed over leaves it to be overwritten.
            ref var key = ref _keys[mine];
            FlowKey.Extract(packet.Data, packet.InPort, packet.Tunnel, out key);
            ulong hash = FlowHash.Of(key);
            packet.FlowHash = (uint)hash;
            int target = (int)(hash % (ulong)workers.Count);
            if (target == Id)
            {
                _hashes[mine] = hash;
                _mine[mine++] = packet;
            }
            else
            {
                _handOff[target][_handOffCounts[target]++] = packet;
            }
        }
        // One enqueue per target worker and burst, not per packet: each publishes the ring's tail, a cache line the
        // target reads. What a full inbox does not take is dropped and counted.
        for (int target = 0; target < workers.Count; target++)
        {
            int count = _handOffCounts[target];
            if (count == 0) continue;
            _handOffCounts[target] = 0;
            var staged = _handOff[target].AsSpan(0, count);
            for (int i = workers[target].Inboxes[Id].Enqueue(staged); i < count; i++)
            {
                _counters.DroppedOther++;
                staged[i].Release();
            }
        }
        return _mine.AsSpan(0, mine);
    }

    // xorshift32: a cheap per-worker coin for probabilistic exact-match-cache insertion.
    private uint _coin = 0x9E37_79B9;

    private bool InsertIntoExactMatchCache()
    {
        uint oneIn = _emcInsertOneIn;
        if (oneIn == 1) return true;
        uint x = _coin;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        _coin = x;
        return x % oneIn == 0;
    }

    // keysExtracted: _keys and _hashes already hold the packets' keys and full-key hashes (HandOver made them).
    private void Process(Span<PacketBuffer> packets, long now, bool keysExtracted = false)
    {
        int count = packets.Length;
        _counters.Packets += count;
        int misses = 0;
        var run = new HitRun(now);

        // 1. Keys, and the exact-match cache. A hit executes at once: a flow's packets either all hit or all miss
        // within one burst (the cache only changes after this loop), so per-flow order is kept; flows may be
        // reordered relative to each other, as in Open vSwitch.
        var emc = _emc;
        if (emc is not null && !_emcGate.Admit())
        {
            emc = null;
            _counters.ExactMatchSkipped += count;
        }
        _hashesValid = emc is not null || keysExtracted;
        for (int i = 0; i < count; i++)
        {
            var packet = packets[i];
            ref var key = ref _keys[i];
            if (!keysExtracted) FlowKey.Extract(packet.Data, packet.InPort, packet.Tunnel, out key);
            if (key.Malformed) _counters.Malformed++;
            if (emc is not null)
            {
                ulong hash = keysExtracted ? _hashes[i] : FlowHash.Of(key);
                _hashes[i] = hash;
                var entry = emc.Lookup(key, hash);
                if (entry is not null)
                {
                    run.Add(entry, packet.Length);
                    entry.Actions.Execute(packet, _sink);
                    continue;
                }
            }
            _missOrder[misses] = i;
            misses++;
        }
        if (emc is not null)
        {
            _counters.ExactMatchHits += count - misses;
            _emcGate.Record(count, count - misses);
        }

        // 2. The megaflow classifier, one batch lookup for all EMC misses. When every packet missed (or the EMC is
        // off) the keys are already contiguous; otherwise the misses' keys were gathered.
        if (misses > 0)
        {
            if (misses < count)
                for (int j = 0; j < misses; j++) _missKeys[j] = _keys[_missOrder[j]];
            var missKeys = misses == count ? _keys.AsSpan(0, count) : _missKeys.AsSpan(0, misses);
            var results = _missResults.AsSpan(0, misses);
            _pipeline.Flows.LookupBatch(missKeys, results);
            int stillMissing = 0;
            for (int j = 0; j < misses; j++)
            {
                var entry = results[j];
                if (entry is not null)
                {
                    if (emc is not null && InsertIntoExactMatchCache())
                    {
                        int i = _missOrder[j];
                        emc.Insert(_keys[i], _hashes[i], entry);
                    }
                    _counters.MegaflowHits++;
                }
                else
                {
                    _missIndices[stillMissing++] = j;
                }
            }

            // 3. Upcalls for what is left, on this thread.
            if (stillMissing > 0)
            {
                _counters.Misses += stillMissing;
                _installedThisBatch.Clear();
                for (int k = 0; k < stillMissing; k++)
                {
                    int j = _missIndices[k];
                    int i = _missOrder[j];
                    if (!HandleMiss(ref packets[i], i, j, now)) packets[i] = default;
                }
                _installedThisBatch.Clear();
            }

            // 4. Execute the packets that missed the exact-match cache, in arrival order.
            for (int j = 0; j < misses; j++)
            {
                var entry = results[j];
                if (entry is null) continue;
                var packet = packets[_missOrder[j]];
                if (packet.IsNull) continue;
                run.Add(entry, packet.Length);
                entry.Actions.Execute(packet, _sink);
            }
            results.Clear();
        }
        run.Flush();

        // 5. Transmit, then give the resolver what actions sent up (TTL expiry, explicit).
        _sink.Flush();
        if (_sink.ResolverQueue.Count > 0) DrainResolverQueue(now);
    }

    /// Statistics for consecutive packets of one flow, recorded on the flow once per run.
    private struct HitRun(long now)
    {
        private FlowEntry? _entry;
        private int _packets;
        private long _bytes;

        public void Add(FlowEntry entry, int bytes)
        {
            if (!ReferenceEquals(entry, _entry))
            {
                _entry?.RecordHits(_packets, _bytes, now);
                _entry = entry;
                _packets = 0;
                _bytes = 0;
            }
            _packets++;
            _bytes += bytes;
        }

        public readonly void Flush() => _entry?.RecordHits(_packets, _bytes, now);
    }
}
