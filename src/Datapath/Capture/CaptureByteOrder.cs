namespace NetFabric.Datapath.Capture;

/// <summary>
/// Byte order of the header fields of a capture file. Pcap and pcapng files are written in the
/// writer's host order; readers detect the order from the magic number and accept both.
/// </summary>
public enum CaptureByteOrder
{
    /// <summary>Little-endian, what x86 and ARM hosts write.</summary>
    LittleEndian,
    /// <summary>Big-endian, what SPARC, POWER and some embedded capture hosts write.</summary>
    BigEndian,
}
