namespace NetFabric.Datapath.Protocols;

/// <summary>IP protocol / IPv6 next-header numbers NetFabric parses (IANA registry).</summary>
public static class IpProtocol
{
    /// <summary>IPv6 hop-by-hop options extension header.</summary>
    public const byte HopByHop = 0;
    /// <summary>Internet Control Message Protocol (IPv4).</summary>
    public const byte Icmp = 1;
    /// <summary>Transmission Control Protocol.</summary>
    public const byte Tcp = 6;
    /// <summary>User Datagram Protocol.</summary>
    public const byte Udp = 17;
    /// <summary>IPv6 routing extension header.</summary>
    public const byte Routing = 43;
    /// <summary>IPv6 fragment extension header.</summary>
    public const byte Fragment = 44;
    /// <summary>Generic Routing Encapsulation.</summary>
    public const byte Gre = 47;
    /// <summary>Encapsulating security payload: the walk stops here (the rest is opaque).</summary>
    public const byte Esp = 50;
    /// <summary>Authentication header (IPv6 extension header with its own length rule).</summary>
    public const byte AuthenticationHeader = 51;
    /// <summary>ICMP for IPv6.</summary>
    public const byte IcmpV6 = 58;
    /// <summary>IPv6 "no next header".</summary>
    public const byte NoNextHeader = 59;
    /// <summary>IPv6 destination options extension header.</summary>
    public const byte DestinationOptions = 60;
}
