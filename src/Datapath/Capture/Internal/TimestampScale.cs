namespace NetFabric.Datapath.Capture.Internal;

/// Converts a pcapng interface's timestamp units to nanoseconds. The unit comes from the
/// if_tsresol option (pcapng section 4.2): if its top bit is clear the unit is 10^-value seconds,
/// otherwise 2^-(value &amp; 0x7F) seconds; without the option it is 10^-6 (microseconds).
/// Overflow from a corrupt file wraps silently rather than throwing: the reader reports whatever
/// the file says.
internal readonly struct TimestampScale
{
    // Decimal units: nanoseconds = units * _multiplier / _divisor, one of them being 1.
    // Binary units: nanoseconds = units * 10^9 >> _binaryShift, computed in 128 bits.
    private readonly ulong _multiplier;
    private readonly ulong _divisor;
    private readonly int _binaryShift;

    private TimestampScale(ulong multiplier, ulong divisor, int binaryShift)
    {
        _multiplier = multiplier;
        _divisor = divisor;
        _binaryShift = binaryShift;
    }

    public static TimestampScale Microseconds { get; } = FromTsresol(6);

    public static TimestampScale FromTsresol(byte tsresol)
    {
        if ((tsresol & 0x80) != 0)
            return new TimestampScale(0, 0, tsresol & 0x7F);
        int exponent = tsresol;
        if (exponent <= 9)
            return new TimestampScale(Pow10(9 - exponent), 1, -1);
        // 10^19 no longer fits a ulong; every unit finer than that rounds to 0 ns anyway
        // (a 64-bit count of 10^-28 s units spans less than a nanosecond).
        return exponent - 9 <= 19
            ? new TimestampScale(1, Pow10(exponent - 9), -1)
            : new TimestampScale(0, 1, -1);
    }

    public long ToNanoseconds(ulong units)
    {
        if (_binaryShift >= 0)
            return unchecked((long)(((UInt128)units * 1_000_000_000UL) >> _binaryShift));
        return unchecked((long)(_divisor == 1 ? units * _multiplier : units / _divisor));
    }

    private static ulong Pow10(int exponent)
    {
        ulong value = 1;
        for (int i = 0; i < exponent; i++) value *= 10;
        return value;
    }
}
