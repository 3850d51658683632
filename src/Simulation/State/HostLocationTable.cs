using System.Collections.Concurrent;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.State;

/// <summary>
/// Which single-host port of a router each host sits behind (seed 001 §7, single-host ports): IPv4 address →
/// router port, learned from the source address of packets arriving on such ports. It is what lets several
/// single-host ports share one subnet — the router sends a packet for a host of that subnet out of the port the
/// host was seen behind. Thread-safe; learning is lock-free. <see cref="LocationChanged"/> fires when a host is
/// first seen or moves, so the owner can invalidate the flows that relied on the old location (flows tagged with
/// <see cref="Tag"/>).
/// </summary>
/// <remarks>
/// Entries do not expire: a host that disappears leaves an entry that only matters if its address reappears, and
/// then the first packet from the new location moves it. A location pointing at a port the router no longer has
/// (or that no longer shares the destination's subnet) is ignored by the router, so stale entries are harmless.
/// </remarks>
public sealed class HostLocationTable
{
    private readonly ConcurrentDictionary<IPv4Address, ulong> _ports = new();

    /// <summary>Raised after a host is learned for the first time or moves to another port, with its address.</summary>
    public event Action<IPv4Address>? LocationChanged;

    /// <summary>Number of hosts whose location is known.</summary>
    public int Count => _ports.Count;

    /// <summary>The invalidation tag of flows of router <paramref name="router"/> that relied on the location of <paramref name="address"/>.</summary>
    public static ulong Tag(ulong router, IPv4Address address) =>
        FlowHash.Finish(FlowHash.Mix(FlowHash.Mix(0x484F_5354_4C4F_4341UL, router), address.Value)) | 1UL << 63;

    /// <summary>The router port <paramref name="address"/> was last seen behind.</summary>
    public bool TryGetPort(IPv4Address address, out ulong port) => _ports.TryGetValue(address, out port);

    /// <summary>
    /// Learns that <paramref name="address"/> sits behind router port <paramref name="port"/>: returns true (and
    /// raises <see cref="LocationChanged"/>) when that is news — a first sighting or a move — and false when the
    /// table already said so.
    /// </summary>
    public bool Learn(IPv4Address address, ulong port)
    {
        while (true)
        {
            if (_ports.TryGetValue(address, out ulong existing))
            {
                if (existing == port) return false;
                if (!_ports.TryUpdate(address, port, existing)) continue;
            }
            else if (!_ports.TryAdd(address, port))
            {
                continue;
            }
            LocationChanged?.Invoke(address);
            return true;
        }
    }

    /// <summary>Forgets where <paramref name="address"/> is (raising <see cref="LocationChanged"/>); returns true when it was known.</summary>
    public bool Forget(IPv4Address address)
    {
        if (!_ports.TryRemove(address, out _)) return false;
        LocationChanged?.Invoke(address);
        return true;
    }
}
