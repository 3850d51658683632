namespace NetFabric.Datapath.Capture.Internal;

/// What a pcapng Interface Description Block (section 4.2) says about the packets of one
/// interface: their link type, the snap length (0 = unlimited, which SPBs need) and how to turn
/// their timestamps into nanoseconds since the epoch (if_tsresol, plus if_tsoffset seconds).
internal readonly record struct InterfaceDescription(
    LinkType LinkType,
    uint SnapLength,
    TimestampScale Scale,
    long OffsetNanoseconds)
{
    public long ToNanoseconds(ulong units) => unchecked(Scale.ToNanoseconds(units) + OffsetNanoseconds);
}
