using FsCheck;
using FsCheck.Fluent;

namespace NetFabric.Datapath.Tests.Capture;

/// FsCheck generators for capture tests: frames of 14 to 1600 random bytes with timestamps
/// anywhere in the range a pcap record can hold (unsigned 32-bit seconds, nanosecond fraction).
public static class CaptureArbitraries
{
    public static Gen<byte[]> FrameBytes { get; } =
        Gen.Choose(14, 1600).SelectMany(length => Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf(length));

    public static Gen<long> Timestamps { get; } =
        from high in Gen.Choose(0, int.MaxValue)
        from low in Gen.Choose(0, 1)
        from nanoseconds in Gen.Choose(0, 999_999_999)
        select ((long)high * 2 + low) * 1_000_000_000L + nanoseconds;

    public static Arbitrary<CapturedFrame[]> Frames() =>
        FrameBytes.Zip(Timestamps, (bytes, timestamp) => new CapturedFrame(bytes, timestamp))
            .ArrayOf()
            .ToArbitrary();
}
