using System.Diagnostics;
using System.Runtime.InteropServices;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Pipeline;

// The slow path: upcalls, installing decisions, parking, emitting generated packets.
public sealed partial class Worker
{
    private readonly List<(PacketBuffer Packet, ResolverReason Reason)> _resolverWork = [];
    private ulong[] _tagScratch = new ulong[16];

    /// Handles a packet of the current batch that no cached flow matched. True when <c>_missResults[missSlot]</c> now
    /// holds the flow to execute; false when the packet was consumed (parked, dropped, or executed one-shot).
    private bool HandleMiss(ref PacketBuffer packet, int index, int missSlot, long now)
    {
        ref var key = ref _keys[index];
        // Several packets of one new flow often arrive in one burst: the first upcall's flow serves the rest.
        foreach (var installed in _installedThisBatch)
        {
            if (installed.IsAlive && installed.Covers(key))
            {
                _missResults[missSlot] = installed;
                return true;
            }
        }
        uint port = packet.InPort;
        if (port < (uint)_upcallBuckets.Length && !TakeUpcallToken(ref _upcallBuckets[port], now))
        {
            _counters.UpcallsRateLimited++;
            _sink.Drop(packet, DropReason.Overload);
            return false;
        }
        return Resolve(packet, key, ResolverReason.Miss, index, missSlot, now, now + ParkTicks(_pipeline.Options.MaximumParkTime));
    }

    private bool TakeUpcallToken(ref TokenBucket bucket, long now)
    {
        if (!bucket.IsConfigured) bucket = new TokenBucket(_pipeline.Options.UpcallsPerSecondPerPort, _pipeline.Options.UpcallBurst, now);
        return bucket.TryTake(now);
    }

    private bool Resolve(PacketBuffer packet, in FlowKey key, ResolverReason reason, int batchIndex, int missSlot, long now, long deadline)
    {
        _counters.Upcalls++;
        var resolver = _pipeline.Resolver;
        if (resolver is null)
        {
            _sink.Drop(packet, DropReason.Resolver);
            return false;
        }
        FlowResolution resolution;
        try
        {
            resolution = resolver.Resolve(key, packet, reason);
        }
        catch (Exception)
        {
            // A resolver bug costs this packet, not the worker.
            _counters.ResolverErrors++;
            _sink.Drop(packet, DropReason.Resolver);
            return false;
        }

        if (resolution.IsPending)
        {
            Emit(resolution.Emit);
            long retryAt = now + Math.Max(1, ParkTicks(resolution.RetryAfter));
            if (now >= deadline)
            {
                _counters.ParkingTimeouts++;
                _sink.Drop(packet, DropReason.Overload);
            }
            else if (_parking.TryPark(packet, Math.Min(retryAt, deadline), deadline))
            {
                _counters.Parked++;
            }
            else
            {
                _counters.ParkingOverflows++;
                _sink.Drop(packet, DropReason.Overload);
            }
            return false;
        }

        var decision = resolution.Decision!;
        Emit(decision.Emit);
        // Only misses install flows: a packet sent up by its flow's own actions (TTL expiry) already has one.
        if (decision.Cacheable && reason == ResolverReason.Miss)
        {
            var entry = _pipeline.Flows.Insert(decision.Match, decision.Actions, TagsOf(decision.Tags), decision.Timeouts, decision.Priority, now);
            _counters.FlowsInstalled++;
            _installedThisBatch.Add(entry);
            if (entry.Covers(key))
                _emc?.Insert(key, batchIndex >= 0 && _hashesValid ? _hashes[batchIndex] : FlowHash.Of(key), entry);
            if (batchIndex >= 0)
            {
                _missResults[missSlot] = entry;
                return true;
            }
            entry.RecordHits(1, packet.Length, now);
            entry.Actions.Execute(packet, _sink);
            return false;
        }
        decision.Actions.Execute(packet, _sink);
        return false;
    }

    // The decision's tags as a span, for the classifier to copy into the entry: an array or a list is used in place,
    // anything else is copied into a scratch array this worker keeps, rather than into a new array per flow setup.
    private ReadOnlySpan<ulong> TagsOf(IReadOnlyList<ulong> tags)
    {
        switch (tags)
        {
            case ulong[] array: return array;
            case List<ulong> list: return CollectionsMarshal.AsSpan(list);
        }
        int count = tags.Count;
        if (_tagScratch.Length < count) _tagScratch = new ulong[Math.Max(count, 2 * _tagScratch.Length)];
        for (int i = 0; i < count; i++) _tagScratch[i] = tags[i];
        return _tagScratch.AsSpan(0, count);
    }

    private void Emit(IReadOnlyList<EmittedPacket> packets)
    {
        foreach (var emitted in packets)
        {
            if (!_pipeline.EmitPool.TryRent(out var buffer))
            {
                _counters.DroppedOther++;
                continue;
            }
            if (!buffer.TrySetLength(emitted.Frame.Length))
            {
                buffer.Release();
                _counters.DroppedOther++;
                continue;
            }
            emitted.Frame.Span.CopyTo(buffer.Data);
            _counters.Emitted++;
            _sink.Output(emitted.Port, buffer);
        }
    }

    private void RetryParked(long now)
    {
        _due.Clear();
        _parking.TakeDue(now, _due);
        foreach (var (packet, expired, deadline) in _due)
        {
            if (expired)
            {
                _counters.ParkingTimeouts++;
                _sink.Drop(packet, DropReason.Overload);
                continue;
            }
            FlowKey.Extract(packet.Data, packet.InPort, packet.Tunnel, out var key);
            Resolve(packet, key, ResolverReason.Miss, -1, -1, now, deadline);
        }
        _due.Clear();
        _sink.Flush();
        if (_sink.ResolverQueue.Count > 0) DrainResolverQueue(now);
    }

    private void DrainResolverQueue(long now)
    {
        // Bounded rounds: a resolver whose one-shot actions keep sending packets up cannot loop the worker.
        for (int round = 0; round < 4 && _sink.ResolverQueue.Count > 0; round++)
        {
            _resolverWork.Clear();
            _resolverWork.AddRange(_sink.ResolverQueue);
            _sink.ResolverQueue.Clear();
            long deadline = now + ParkTicks(_pipeline.Options.MaximumParkTime);
            foreach (var (packet, reason) in _resolverWork)
            {
                FlowKey.Extract(packet.Data, packet.InPort, packet.Tunnel, out var key);
                Resolve(packet, key, reason, -1, -1, now, deadline);
            }
            _sink.Flush();
        }
        foreach (var (packet, _) in _sink.ResolverQueue) _sink.Drop(packet, DropReason.Resolver);
        _sink.ResolverQueue.Clear();
        _resolverWork.Clear();
    }

    internal void ReleaseParked() => _parking.ReleaseAll();

    private static long ParkTicks(TimeSpan span) => (long)(span.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
}
