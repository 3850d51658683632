namespace NetFabric.Datapath.Ports;

/// <summary>
/// What a <see cref="PcapPort"/> reads, writes and how fast. Give <see cref="InputPath"/>, <see cref="OutputPath"/>
/// or both: a port with only an input is receive-only (transmits are counted drops), one with only an output is
/// transmit-only (receives return 0).
/// </summary>
public sealed record PcapPortOptions
{
    /// <summary>A pcap or pcapng file whose Ethernet frames the port receives, in file order; null for none.</summary>
    public string? InputPath { get; init; }

    /// <summary>A pcap file (created or replaced) that transmitted frames are written to, stamped with the current time; null for none.</summary>
    public string? OutputPath { get; init; }

    /// <summary>Restart at the first frame when the input ends, instead of taking the link down.</summary>
    public bool Loop { get; init; }

    /// <summary>
    /// Frames per second the port hands out at most, or null for as fast as the caller polls. A token bucket
    /// holding 10 ms of frames (at least 1, at most <see cref="Buffers.PacketBatch.MaximumSize"/>) allows short
    /// bursts; frames dropped on receive count against the rate as they would on a wire.
    /// </summary>
    public double? RatePacketsPerSecond { get; init; }

    /// <summary>The port number stamped into <see cref="Buffers.PacketBuffer.InPort"/> of every received buffer.</summary>
    public uint InPort { get; init; }
}
