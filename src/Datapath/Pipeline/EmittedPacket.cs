namespace NetFabric.Datapath.Pipeline;

/// <summary>A packet a resolver asks the datapath to send (an ARP reply, an ICMP error, a DHCP offer).</summary>
/// <param name="Port">The datapath port to send it on.</param>
/// <param name="Frame">The whole Ethernet frame.</param>
public readonly record struct EmittedPacket(uint Port, ReadOnlyMemory<byte> Frame);
