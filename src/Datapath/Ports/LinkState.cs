namespace NetFabric.Datapath.Ports;

/// <summary>Whether a port can carry traffic.</summary>
public enum LinkState
{
    /// <summary>The port cannot send or receive (cable out, interface down, file exhausted, peer gone).</summary>
    Down = 0,
    /// <summary>The port carries traffic.</summary>
    Up = 1,
}
