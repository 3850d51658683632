namespace NetFabric.Datapath.Capture;

/// <summary>
/// Metadata of one packet read from a capture file; the bytes themselves go to the buffer the
/// caller passed to <see cref="CaptureReader.TryRead"/> or <see cref="CaptureReader.ReadAsync"/>.
/// A plain value: copying it costs nothing and allocates nothing.
/// </summary>
/// <param name="TimestampNanoseconds">
/// Capture time in nanoseconds since the Unix epoch (UTC). Files with a coarser resolution are
/// scaled up exactly (a microsecond pcap yields multiples of 1,000); files with a finer one are
/// truncated. Zero for pcapng Simple Packet Blocks, which carry no timestamp.
/// </param>
/// <param name="CapturedLength">
/// Number of packet bytes stored in the file. When it exceeds the destination buffer, only the
/// first <c>destination.Length</c> bytes were copied: compare the two to detect it.
/// </param>
/// <param name="OriginalLength">Length of the packet on the wire; larger than <paramref name="CapturedLength"/> when the capture was cut at the snap length.</param>
/// <param name="InterfaceId">Index of the pcapng interface within its section; always 0 for classic pcap.</param>
/// <param name="LinkType">Link-layer header type of the packet bytes.</param>
public readonly record struct CaptureRecord(
    long TimestampNanoseconds,
    int CapturedLength,
    int OriginalLength,
    int InterfaceId,
    LinkType LinkType)
{
    /// <summary>
    /// The capture time as a <see cref="DateTimeOffset"/> in UTC, truncated to the 100 ns tick.
    /// Allocates nothing; throws <see cref="ArgumentOutOfRangeException"/> when the timestamp
    /// (from a corrupt file) lies outside the range <see cref="DateTimeOffset"/> can represent.
    /// </summary>
    public DateTimeOffset ToDateTimeOffset() =>
        DateTimeOffset.UnixEpoch.AddTicks(TimestampNanoseconds / 100);
}
