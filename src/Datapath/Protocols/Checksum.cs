using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// The Internet checksum: RFC 1071 one's-complement sum (vectorised for long buffers), RFC 1624
/// incremental updates, and the TCP/UDP/ICMPv6 pseudo-headers of IPv4 (RFC 793) and IPv6 (RFC 8200 §8.1).
/// All members are pure, allocation-free and thread-safe.
/// </summary>
/// <remarks>
/// A <em>sum</em> is an unfolded one's-complement accumulator in network word order; add sums
/// of consecutive pieces (each piece but the last of even length) and finish with <see cref="Finish"/>.
/// </remarks>
public static class Checksum
{
    /// <summary>Adds the bytes of <paramref name="data"/> as big-endian 16-bit words to <paramref name="sum"/>. An odd last byte is padded with zero.</summary>
    public static ulong Sum(ReadOnlySpan<byte> data, ulong sum = 0)
    {
        // One's-complement addition is byte-order independent (RFC 1071 §2(B)): add the words
        // in the machine's order and swap the folded result once at the end.
        ulong native = 0;
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;

        if (Vector.IsHardwareAccelerated && length >= (nuint)Vector<byte>.Count * 4)
        {
            // Widen 16-bit lanes into 32-bit accumulators; flush to 64 bits before any lane can
            // overflow (each lane gains at most 2 x 0xFFFF per step).
            var acc = Vector<uint>.Zero;
            int steps = 0;
            nuint width = (nuint)Vector<byte>.Count;
            for (; i + width <= length; i += width)
            {
                var words = Vector.AsVectorUInt16(Vector.LoadUnsafe(ref start, i));
                Vector.Widen(words, out Vector<uint> low, out Vector<uint> high);
                acc += low + high;
                if (++steps == 16384)
                {
                    native += HorizontalSum(acc);
                    acc = Vector<uint>.Zero;
                    steps = 0;
                }
            }
            native += HorizontalSum(acc);
        }

        for (; i + 8 <= length; i += 8)
        {
            ulong word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
            native += (word & 0xFFFF_FFFF) + (word >> 32);
        }
        for (; i + 2 <= length; i += 2)
            native += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
        if (i < length)
            native += BitConverter.IsLittleEndian ? Unsafe.Add(ref start, i) : (ulong)Unsafe.Add(ref start, i) << 8;

        ushort folded = Fold(native);
        return sum + (BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded);
    }

    private static ulong HorizontalSum(Vector<uint> vector)
    {
        ulong total = 0;
        for (int lane = 0; lane < Vector<uint>.Count; lane++) total += vector[lane];
        return total;
    }

    /// <summary>Folds an accumulator to 16 bits with end-around carry (not complemented).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum field value for an accumulated sum: the complement of its fold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Finish(ulong sum) => (ushort)~Fold(sum);

    /// <summary>The RFC 1071 checksum of <paramref name="data"/> (e.g. an IPv4 header with its checksum field zeroed).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Sum(data));

    /// <summary>True when <paramref name="data"/>, checksum field included, sums to all ones (the receiver's check).</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Fold(Sum(data)) == 0xFFFF;

    /// <summary>
    /// RFC 1624 eqn. 3: the new checksum after a 16-bit field changed from <paramref name="oldValue"/>
    /// to <paramref name="newValue"/>: HC' = ~(~HC + ~m + m').
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update(ushort checksum, ushort oldValue, ushort newValue) =>
        (ushort)~FoldSmall((uint)(ushort)~checksum + (ushort)~oldValue + newValue);

    /// <summary>RFC 1624 update for a 32-bit field (an IPv4 address) changing from <paramref name="oldValue"/> to <paramref name="newValue"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Update(ushort checksum, uint oldValue, uint newValue) =>
        (ushort)~FoldSmall((uint)(ushort)~checksum
            + (ushort)~(oldValue >> 16) + (ushort)~oldValue
            + (newValue >> 16) + (newValue & 0xFFFF));

    // The end-around-carry fold of a sum of at most 65,537 16-bit words: two steps suffice (the general Fold takes
    // five, a serial chain that is most of a TTL decrement's cost on the hit path).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort FoldSmall(uint sum)
    {
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)(sum + (sum >> 16));
    }

    /// <summary>RFC 1624 update for a 128-bit field (an IPv6 address) changing from <paramref name="oldValue"/> to <paramref name="newValue"/>.</summary>
    public static ushort Update(ushort checksum, IPv6Address oldValue, IPv6Address newValue)
    {
        ulong sum = (ushort)~checksum;
        sum += ComplementWords(oldValue.Upper) + ComplementWords(oldValue.Lower);
        sum += Words(newValue.Upper) + Words(newValue.Lower);
        return (ushort)~Fold(sum);
    }

    private static ulong Words(ulong value) =>
        (value >> 48) + ((value >> 32) & 0xFFFF) + ((value >> 16) & 0xFFFF) + (value & 0xFFFF);

    private static ulong ComplementWords(ulong value) => Words(~value);

    /// <summary>The sum of the IPv4 pseudo-header (source, destination, zero, protocol, upper-layer length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PseudoHeaderSum(IPv4Address source, IPv4Address destination, byte protocol, int upperLayerLength) =>
        (ulong)(source.Value >> 16) + (source.Value & 0xFFFF)
        + (destination.Value >> 16) + (destination.Value & 0xFFFF)
        + protocol + (uint)upperLayerLength;

    /// <summary>The sum of the IPv6 pseudo-header (source, destination, 32-bit upper-layer length, next header).</summary>
    public static ulong PseudoHeaderSum(IPv6Address source, IPv6Address destination, byte nextHeader, int upperLayerLength) =>
        Words(source.Upper) + Words(source.Lower) + Words(destination.Upper) + Words(destination.Lower)
        + ((uint)upperLayerLength >> 16) + ((uint)upperLayerLength & 0xFFFF) + nextHeader;
}
