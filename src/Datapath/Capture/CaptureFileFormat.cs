namespace NetFabric.Datapath.Capture;

/// <summary>Container format of a capture file, detected from its first four bytes.</summary>
public enum CaptureFileFormat
{
    /// <summary>Classic libpcap format: one 24-byte file header, then 16-byte record headers (draft-ietf-opsawg-pcap).</summary>
    Pcap,
    /// <summary>PCAP Next Generation: a sequence of typed blocks grouped in sections (draft-ietf-opsawg-pcapng).</summary>
    PcapNg,
}
