namespace NetFabric.Datapath.Protocols;

/// <summary>DHCP option codes NetFabric reads or writes (RFC 2132; IANA "BOOTP Vendor Extensions and DHCP Options").</summary>
public static class DhcpOptionCode
{
    /// <summary>A single padding byte with no length field (RFC 2132 §3.1).</summary>
    public const byte Pad = 0;
    /// <summary>Subnet mask, 4 bytes (RFC 2132 §3.3).</summary>
    public const byte SubnetMask = 1;
    /// <summary>Routers, a list of 4-byte addresses in order of preference (RFC 2132 §3.5).</summary>
    public const byte Router = 3;
    /// <summary>Domain name servers, a list of 4-byte addresses (RFC 2132 §3.8).</summary>
    public const byte DomainNameServer = 6;
    /// <summary>The client's host name (RFC 2132 §3.14).</summary>
    public const byte HostName = 12;
    /// <summary>The domain name for DNS resolution (RFC 2132 §3.17).</summary>
    public const byte DomainName = 15;
    /// <summary>The address a client asks for in DISCOVER/REQUEST, 4 bytes (RFC 2132 §9.1).</summary>
    public const byte RequestedIPAddress = 50;
    /// <summary>Lease time in seconds, 4 bytes (RFC 2132 §9.2).</summary>
    public const byte LeaseTime = 51;
    /// <summary>Option overload: options continue in the file/sname fields (RFC 2132 §9.3); NetFabric does not follow it.</summary>
    public const byte OptionOverload = 52;
    /// <summary>DHCP message type, 1 byte (RFC 2132 §9.6, <see cref="DhcpMessageType"/>).</summary>
    public const byte MessageType = 53;
    /// <summary>Server identifier: the server's address, 4 bytes (RFC 2132 §9.7).</summary>
    public const byte ServerIdentifier = 54;
    /// <summary>Parameter request list: the option codes a client wants (RFC 2132 §9.8).</summary>
    public const byte ParameterRequestList = 55;
    /// <summary>Renewal (T1) time in seconds, 4 bytes (RFC 2132 §9.11).</summary>
    public const byte RenewalTime = 58;
    /// <summary>Rebinding (T2) time in seconds, 4 bytes (RFC 2132 §9.12).</summary>
    public const byte RebindingTime = 59;
    /// <summary>Client identifier: type byte then identifier (RFC 2132 §9.14).</summary>
    public const byte ClientIdentifier = 61;
    /// <summary>End of the options, a single byte with no length field (RFC 2132 §3.2).</summary>
    public const byte End = 255;
}
