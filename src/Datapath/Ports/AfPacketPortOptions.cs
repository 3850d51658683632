namespace NetFabric.Datapath.Ports;

/// <summary>Settings of an <see cref="AfPacketPort"/> beyond the interface it is opened on.</summary>
public sealed record AfPacketPortOptions
{
    /// <summary>The port's name in errors and statistics; null for the interface's name.</summary>
    public string? Name { get; init; }

    /// <summary>The port number stamped into <see cref="Buffers.PacketBuffer.InPort"/> of every received buffer.</summary>
    public uint InPort { get; init; }

    /// <summary>
    /// Put the interface in promiscuous mode while the port is open (true by default), so frames addressed to other
    /// MAC addresses reach the port as they must for a switch. The kernel counts promiscuous users: closing the port
    /// undoes only its own request.
    /// </summary>
    public bool Promiscuous { get; init; } = true;
}
