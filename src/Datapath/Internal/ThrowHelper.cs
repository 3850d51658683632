using System.Diagnostics.CodeAnalysis;

namespace NetFabric.Datapath.Internal;

/// Cold-path throws kept out of hot methods so those stay small and inlineable
/// (the pattern System.IO.Pipelines uses).
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Format(string what, string text) =>
        throw new FormatException($"'{text}' is not a valid {what}.");

    [DoesNotReturn]
    public static void DestinationTooShort(string what, int needed, int actual) =>
        throw new ArgumentException($"The destination is too short for {what}: {needed} bytes needed, {actual} available.", "destination");

    [DoesNotReturn]
    public static void ArgumentOutOfRange(string name, string message) =>
        throw new ArgumentOutOfRangeException(name, message);
}
