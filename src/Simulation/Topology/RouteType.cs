namespace NetFabric.Simulation.Topology;

/// <summary>What a router does with a packet that matches a route (seed 001 §7).</summary>
public enum RouteType
{
    /// <summary>Forward out of the route's egress port, to its gateway or to the destination itself.</summary>
    Normal,

    /// <summary>Drop silently.</summary>
    Blackhole,

    /// <summary>Drop and answer with ICMP destination unreachable, administratively prohibited.</summary>
    Reject,

    /// <summary>Deliver to the router itself (its own addresses).</summary>
    Local,
}
