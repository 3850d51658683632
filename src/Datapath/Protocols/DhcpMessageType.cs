namespace NetFabric.Datapath.Protocols;

/// <summary>The DHCP message type carried in option 53 (RFC 2132 §9.6).</summary>
public enum DhcpMessageType : byte
{
    /// <summary>No (or an unreadable) option 53: a plain BOOTP message.</summary>
    None = 0,
    /// <summary>Client broadcast to locate available servers.</summary>
    Discover = 1,
    /// <summary>Server to client in response to DISCOVER with an offer of configuration parameters.</summary>
    Offer = 2,
    /// <summary>Client asks for offered parameters, confirms them, or extends a lease.</summary>
    Request = 3,
    /// <summary>Client tells the server the offered address is already in use.</summary>
    Decline = 4,
    /// <summary>Server to client with configuration parameters, including the committed address.</summary>
    Ack = 5,
    /// <summary>Server to client refusing the request (wrong network, expired lease).</summary>
    Nak = 6,
    /// <summary>Client gives up its address and cancels the lease.</summary>
    Release = 7,
    /// <summary>Client, already configured, asks only for local parameters.</summary>
    Inform = 8,
}
