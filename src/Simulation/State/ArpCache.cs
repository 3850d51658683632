using System.Collections.Concurrent;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.State;

/// <summary>
/// A router's ARP cache (seed 001 §7): IPv4 address → (MAC, expiry), plus the addresses the router has asked for
/// and not heard back about yet. Thread-safe. <see cref="EntryChanged"/> fires when an entry is learned or changes
/// and when a resolution starts, so the owner can invalidate the flows that relied on the old state (flows tagged
/// with <see cref="Tag"/>).
/// </summary>
public sealed class ArpCache
{
    private readonly ConcurrentDictionary<IPv4Address, Entry> _entries = new();
    private readonly ConcurrentDictionary<IPv4Address, Request> _requests = new();
    private readonly TimeProvider _time;

    /// <summary>Creates an empty cache whose clock is <paramref name="time"/> (the system clock by default).</summary>
    public ArpCache(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>How long a learned entry stays valid.</summary>
    public TimeSpan EntryLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after the first request for an address the router gives up (and answers host unreachable). The
    /// default, 2.5 s, stays below the datapath's default <c>PipelineOptions.MaximumParkTime</c> (3 s), so a parked
    /// packet is still there to be answered.
    /// </summary>
    public TimeSpan ResolutionTimeout { get; init; } = TimeSpan.FromSeconds(2.5);

    /// <summary>Least time between two requests for the same address (no request storms from parked packets).</summary>
    public TimeSpan RequestInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Raised after an entry is learned or changes MAC, or a resolution starts, with the address.</summary>
    public event Action<IPv4Address>? EntryChanged;

    /// <summary>Number of entries (expired ones included until they are looked up).</summary>
    public int Count => _entries.Count;

    /// <summary>The invalidation tag of flows of router <paramref name="router"/> that relied on the ARP state of <paramref name="address"/>.</summary>
    public static ulong Tag(ulong router, IPv4Address address) =>
        FlowHash.Finish(FlowHash.Mix(FlowHash.Mix(0x4152_5045_4E54_5259UL, router), address.Value)) | 1UL << 63;

    /// <summary>The MAC of <paramref name="address"/> when a valid (unexpired) entry exists.</summary>
    public bool TryGet(IPv4Address address, out MacAddress mac)
    {
        if (_entries.TryGetValue(address, out var entry) && (entry.Static || entry.Expires > _time.GetUtcNow()))
        {
            mac = entry.Mac;
            return true;
        }
        mac = default;
        return false;
    }

    /// <summary>Adds an entry that never expires.</summary>
    public void AddStatic(IPv4Address address, MacAddress mac)
    {
        _entries[address] = new Entry(mac, DateTimeOffset.MaxValue, Static: true);
        _requests.TryRemove(address, out _);
        EntryChanged?.Invoke(address);
    }

    /// <summary>True while a request for <paramref name="address"/> is outstanding (an answer to it is solicited).</summary>
    public bool IsPending(IPv4Address address) => _requests.ContainsKey(address);

    /// <summary>
    /// Notes that a packet waits on <paramref name="address"/>: returns <see cref="ResolveState.SendRequest"/> when a
    /// request should go out now (the first one, or the interval passed), <see cref="ResolveState.Wait"/> when one is
    /// out, and <see cref="ResolveState.TimedOut"/> when the first request is older than <see cref="ResolutionTimeout"/>
    /// (the resolution is then forgotten, so a later packet starts a new one).
    /// </summary>
    public ResolveState Resolve(IPv4Address address)
    {
        var now = _time.GetUtcNow();
        while (true)
        {
            if (!_requests.TryGetValue(address, out var request))
            {
                if (!_requests.TryAdd(address, new Request(now, now))) continue;
                EntryChanged?.Invoke(address);
                return ResolveState.SendRequest;
            }
            if (now - request.First >= ResolutionTimeout)
            {
                _requests.TryRemove(new KeyValuePair<IPv4Address, Request>(address, request));
                return ResolveState.TimedOut;
            }
            if (now - request.Last < RequestInterval) return ResolveState.Wait;
            if (_requests.TryUpdate(address, request with { Last = now }, request)) return ResolveState.SendRequest;
        }
    }

    /// <summary>
    /// Learns <paramref name="address"/> → <paramref name="mac"/> from an ARP reply when a request for it is
    /// outstanding; returns false (nothing learned) for an unsolicited reply, and never overrides static entries.
    /// </summary>
    public bool LearnSolicited(IPv4Address address, MacAddress mac)
    {
        if (!_requests.TryRemove(address, out _)) return false;
        if (_entries.TryGetValue(address, out var existing) && existing.Static) return false;
        _entries[address] = new Entry(mac, _time.GetUtcNow() + EntryLifetime, Static: false);
        EntryChanged?.Invoke(address);
        return true;
    }

    /// <summary>
    /// Learns <paramref name="address"/> → <paramref name="mac"/> from an ARP request addressed to the router (RFC 826:
    /// the target of a request merges the sender's pair, since it is about to talk back to it): adds or refreshes a
    /// learned entry and ends an outstanding resolution for the address. Never overrides static entries. Raises
    /// <see cref="EntryChanged"/> only when the entry is new or its MAC changed (a refresh keeps the flows that rely
    /// on it); returns true in that case.
    /// </summary>
    public bool LearnFromRequest(IPv4Address address, MacAddress mac)
    {
        var expires = _time.GetUtcNow() + EntryLifetime;
        while (true)
        {
            if (_entries.TryGetValue(address, out var existing))
            {
                if (existing.Static) return false;
                if (!_entries.TryUpdate(address, new Entry(mac, expires, Static: false), existing)) continue;
                bool resolved = _requests.TryRemove(address, out _);
                if (existing.Mac == mac && !resolved) return false;
            }
            else
            {
                if (!_entries.TryAdd(address, new Entry(mac, expires, Static: false))) continue;
                _requests.TryRemove(address, out _);
            }
            EntryChanged?.Invoke(address);
            return true;
        }
    }

    /// <summary>
    /// Forgets learned entries whose lifetime is over, raising <see cref="EntryChanged"/> for each: the flows that
    /// forward with the old MAC are invalidated, and the next packet resolves the address afresh (a host that
    /// changed its MAC without announcing it is found again). Returns the number of entries forgotten.
    /// </summary>
    public int Expire()
    {
        var now = _time.GetUtcNow();
        int forgotten = 0;
        foreach (var (address, entry) in _entries)
        {
            if (entry.Static || entry.Expires > now) continue;
            if (!_entries.TryRemove(new KeyValuePair<IPv4Address, Entry>(address, entry))) continue;
            forgotten++;
            EntryChanged?.Invoke(address);
        }
        return forgotten;
    }

    private readonly record struct Entry(MacAddress Mac, DateTimeOffset Expires, bool Static);

    private readonly record struct Request(DateTimeOffset First, DateTimeOffset Last);
}

/// <summary>What <see cref="ArpCache.Resolve"/> tells the router to do for a packet waiting on an address.</summary>
public enum ResolveState
{
    /// <summary>Send an ARP request now and park the packet.</summary>
    SendRequest,
    /// <summary>A request is out: park the packet.</summary>
    Wait,
    /// <summary>No answer in time: answer host unreachable and drop.</summary>
    TimedOut,
}
