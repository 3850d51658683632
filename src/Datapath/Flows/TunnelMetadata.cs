using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Flows;

/// <summary>
/// What a tunnel decapsulation learned about a frame before its inner headers are keyed: the tunnel id
/// (VXLAN/Geneve VNI, GRE key) and the outer IPv4 endpoints. <see cref="None"/> for frames that did not
/// arrive through a tunnel. Blittable, 16 bytes.
/// </summary>
/// <param name="Id">The tunnel key: a 24-bit VNI or a 32-bit GRE key; 0 when none.</param>
/// <param name="Source">The outer source address (the remote tunnel endpoint).</param>
/// <param name="Destination">The outer destination address (this host's endpoint).</param>
public readonly record struct TunnelMetadata(ulong Id, IPv4Address Source, IPv4Address Destination)
{
    /// <summary>No tunnel: all fields zero.</summary>
    public static TunnelMetadata None => default;
}
