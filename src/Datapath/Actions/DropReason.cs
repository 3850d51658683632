namespace NetFabric.Datapath.Actions;

/// <summary>Why a packet was dropped; counters are kept per reason.</summary>
public enum DropReason
{
    /// <summary>The flow's actions say drop.</summary>
    Action = 0,
    /// <summary>No buffer was free for a copy or an encapsulation.</summary>
    NoBuffer = 1,
    /// <summary>The packet was not what an action needed (e.g. set IPv4 source on a non-IPv4 packet, pop VLAN on an untagged frame).</summary>
    Malformed = 2,
    /// <summary>Not enough headroom to push an encapsulation or a VLAN tag.</summary>
    NoHeadroom = 3,
    /// <summary>The output port does not exist.</summary>
    NoSuchPort = 4,
    /// <summary>The resolver refused or failed the packet.</summary>
    Resolver = 5,
    /// <summary>The upcall rate limit or the parking queue was full.</summary>
    Overload = 6,
}
