using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetFabric.Datapath.Flows;

/// <summary>
/// Which bits of a <see cref="FlowKey"/> a flow matches on: a key-shaped value whose set bits must match and
/// whose clear bits are wildcards. The decision engine builds one from the header fields it read; the megaflow
/// classifier keeps one hash table per distinct mask. The parse state (<see cref="FlowKey.Layers"/> and
/// <see cref="FlowKey.Malformed"/>) is always matched: a decision about a malformed packet never applies to a
/// whole one. Immutable after construction; allocation-free.
/// </summary>
public readonly struct FlowMask : IEquatable<FlowMask>
{
    // Byte 104 = Layers, 105 = Malformed: word 13's two low bytes.
    private const ulong ParseStateBits = 0xFFFF;

    private readonly FlowKey _bits;

    /// <summary>
    /// Creates a mask from a key whose fields hold bit masks (e.g. <c>bits.EthernetDestination = MacAddress.Broadcast</c>
    /// to match the whole destination MAC; <c>bits.TransportDestination = 0xFFFF</c> for the whole port).
    /// </summary>
    public FlowMask(in FlowKey bits)
    {
        _bits = bits;
        ref ulong parseWord = ref Unsafe.Add(ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in _bits)), FlowKey.Words - 1);
        // The parse state is always matched; the padding after it never is (keys keep it zero).
        parseWord = ParseStateBits;
        ulong used = 0;
        var words = Words;
        for (int i = 0; i < words.Length; i++)
            if (words[i] != 0) used |= 1UL << i;
        UsedWords = (ushort)used;
        BitCount = 0;
        foreach (ulong word in words) BitCount += BitOperations.PopCount(word);
    }

    /// <summary>Matches every field exactly (an exact-match flow).</summary>
    public static FlowMask Exact
    {
        get
        {
            FlowKey bits = default;
            MemoryMarshal.Cast<FlowKey, ulong>(MemoryMarshal.CreateSpan(ref bits, 1)).Fill(ulong.MaxValue);
            return new FlowMask(bits);
        }
    }

    /// <summary>Matches only the parse state: every well-formed packet of the same depth matches.</summary>
    public static FlowMask ParseStateOnly => new(default(FlowKey));

    /// <summary>The mask bits, field by field.</summary>
    public FlowKey Bits => _bits;

    /// <summary>The mask as 14 words.</summary>
    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public ReadOnlySpan<ulong> Words => _bits.AsWords();

    /// <summary>Bit i set when word i of the mask is non-zero: lookups skip the other words.</summary>
    public ushort UsedWords { get; }

    /// <summary>How many key bits the mask matches (more = more specific).</summary>
    public int BitCount { get; }

    /// <summary>Writes <paramref name="key"/> with the wildcarded bits cleared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(in FlowKey key, out FlowKey masked)
    {
        masked = default;
        ref ulong destination = ref Unsafe.As<FlowKey, ulong>(ref masked);
        ref ulong source = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key));
        ref ulong mask = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in _bits));
        for (int i = 0; i < FlowKey.Words; i++)
            Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i) & Unsafe.Add(ref mask, i);
    }

    /// <summary>
    /// A 64-bit hash of <paramref name="key"/> under this mask: equal for keys that agree on every matched bit.
    /// Reads only the words the mask uses.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(in FlowKey key)
    {
        ref ulong source = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key));
        ref ulong mask = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in _bits));
        ulong hash = 0x9E37_79B9_7F4A_7C15UL;
        uint used = UsedWords;
        while (used != 0)
        {
            int i = BitOperations.TrailingZeroCount(used);
            used &= used - 1;
            hash = FlowHash.Mix(hash, Unsafe.Add(ref source, i) & Unsafe.Add(ref mask, i));
        }
        return FlowHash.Finish(hash);
    }

    /// <summary>True when <paramref name="key"/> agrees with <paramref name="maskedKey"/> (already masked) on every matched bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(in FlowKey key, in FlowKey maskedKey)
    {
        ref ulong source = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key));
        ref ulong expected = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in maskedKey));
        ref ulong mask = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in _bits));
        uint used = UsedWords;
        while (used != 0)
        {
            int i = BitOperations.TrailingZeroCount(used);
            used &= used - 1;
            if ((Unsafe.Add(ref source, i) & Unsafe.Add(ref mask, i)) != Unsafe.Add(ref expected, i)) return false;
        }
        return true;
    }

    /// <summary>The mask matching every bit either mask matches.</summary>
    public FlowMask Union(in FlowMask other)
    {
        FlowKey bits = default;
        var destination = MemoryMarshal.Cast<FlowKey, ulong>(MemoryMarshal.CreateSpan(ref bits, 1));
        var left = Words;
        var right = other.Words;
        for (int i = 0; i < FlowKey.Words; i++) destination[i] = left[i] | right[i];
        return new FlowMask(bits);
    }

    /// <inheritdoc />
    public bool Equals(FlowMask other) => _bits.Equals(other._bits);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FlowMask other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _bits.GetHashCode();

    /// <summary>Bitwise equality.</summary>
    public static bool operator ==(FlowMask left, FlowMask right) => left.Equals(right);

    /// <summary>Bitwise inequality.</summary>
    public static bool operator !=(FlowMask left, FlowMask right) => !left.Equals(right);
}
