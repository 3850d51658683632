using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Topology.Internal;

namespace NetFabric.Simulation.Topology;

/// <summary>
/// Declares one router inside <see cref="TopologyBuilder.Router"/> or <see cref="TopologyBuilder.EditRouter"/>.
/// Values are text (<c>02:00:00:00:01:01</c>, <c>198.18.1.1/24</c>) so code and files share one path;
/// nothing is checked here: every problem is reported together by <see cref="TopologyBuilder.Build"/>.
/// </summary>
public sealed class RouterBuilder
{
    private readonly DeviceDraft _draft;

    internal RouterBuilder(DeviceDraft draft) => _draft = draft;

    /// <summary>
    /// Adds a port with its MAC and address/subnet (both required). With <paramref name="exterior"/> it is
    /// an exterior port bound to that host interface on <paramref name="host"/> (an uplink, a VM);
    /// without, an interior port that a <see cref="TopologyBuilder.Link"/> must connect.
    /// <paramref name="singleHost"/> marks a port with exactly one host behind it (seed 001 §7).
    /// </summary>
    public RouterBuilder Port(string name, string? mac = null, string? address = null, string? exterior = null, string? host = null, bool singleHost = false)
    {
        _draft.Ports.Add(new PortDraft(name, exterior, host, mac, address, null, singleHost));
        return this;
    }

    /// <summary>
    /// Adds a route to <paramref name="destination"/> out of <paramref name="port"/> (a port of this router,
    /// by name or as <c>router/port</c>), optionally via <paramref name="gateway"/> and only for sources in
    /// <paramref name="source"/>. <paramref name="weight"/> balances equal-cost routes.
    /// </summary>
    public RouterBuilder Route(string destination, string? port = null, string? gateway = null, string? source = null, int weight = 1, RouteType type = RouteType.Normal)
    {
        _draft.Routes.Add(new RouteDraft(destination, port, gateway, source, weight, type));
        return this;
    }

    /// <summary>Adds a route that silently drops traffic to <paramref name="destination"/>.</summary>
    public RouterBuilder Blackhole(string destination) => Route(destination, type: RouteType.Blackhole);

    /// <summary>Adds a route that answers traffic to <paramref name="destination"/> with ICMP administratively prohibited.</summary>
    public RouterBuilder Reject(string destination) => Route(destination, type: RouteType.Reject);

    /// <summary>Removes the port called <paramref name="name"/> and its links (no-op when absent). Routes through it stay and fail validation unless removed too.</summary>
    public RouterBuilder RemovePort(string name)
    {
        _draft.Ports.RemoveAll(port => port.Name == name);
        RemovedPorts.Add(name);
        return this;
    }

    /// <summary>Removes every route to exactly <paramref name="destination"/> (as text; no-op when absent).</summary>
    public RouterBuilder RemoveRoute(string destination)
    {
        bool parsed = IPv4Prefix.TryParse(destination, out var prefix);
        _draft.Routes.RemoveAll(route => route.Destination == destination
            || (parsed && IPv4Prefix.TryParse(route.Destination, out var other) && other == prefix));
        return this;
    }

    /// <summary>Removes every route.</summary>
    public RouterBuilder ClearRoutes()
    {
        _draft.Routes.Clear();
        return this;
    }

    internal List<string> RemovedPorts { get; } = [];
}
