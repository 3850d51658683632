namespace NetFabric.Datapath.Protocols;

/// <summary>The encapsulation <see cref="TunnelFrames.TryDecapsulate(ReadOnlySpan{byte}, out TunnelKind, out Flows.TunnelMetadata, out int, out int)"/> recognised.</summary>
public enum TunnelKind : byte
{
    /// <summary>Not a tunnel frame NetFabric decapsulates.</summary>
    None = 0,
    /// <summary>VXLAN (RFC 7348) over UDP port 4789.</summary>
    Vxlan = 1,
    /// <summary>Geneve (RFC 8926) over UDP port 6081.</summary>
    Geneve = 2,
    /// <summary>GRE (RFC 2784, RFC 2890) carrying Ethernet (protocol type 0x6558).</summary>
    Gre = 3,
}
