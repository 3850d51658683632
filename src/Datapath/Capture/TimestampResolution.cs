namespace NetFabric.Datapath.Capture;

/// <summary>
/// Resolution of the fractional part of a classic pcap timestamp, selected by the file's
/// magic number (0xA1B2C3D4 for microseconds, 0xA1B23C4D for nanoseconds).
/// </summary>
public enum TimestampResolution
{
    /// <summary>Microseconds: what libpcap writes by default; nanosecond timestamps are truncated on write.</summary>
    Microseconds,
    /// <summary>Nanoseconds: timestamps are stored exactly.</summary>
    Nanoseconds,
}
