using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetFabric.Datapath.Flows.Internal;

/// <summary>
/// What the flows of one subtable share: the mask and the priority. A <see cref="FlowEntry"/> keeps its shape rather
/// than a copy of the mask (120 bytes saved per flow) and rather than its subtable, so a dead entry still held by an
/// exact-match cache pins a few bytes, not a whole table of other flows. Immutable.
/// </summary>
internal sealed class FlowShape(in FlowMask mask, int priority)
{
    public readonly FlowMask Mask = mask;
    public readonly FlowKey MaskBits = mask.Bits;
    public readonly int Priority = priority;

    /// True when <paramref name="key"/> under this mask equals <paramref name="maskedKey"/>.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Covers(in FlowKey key, in FlowKey maskedKey) => Covers(key, MaskBits, maskedKey);

    /// True when <paramref name="key"/> AND <paramref name="maskBits"/> equals <paramref name="maskedKey"/>: whole-key
    /// vector compares without branches where the hardware has them (two overlapping 64-byte blocks, or four 32-byte
    /// ones), else a word loop.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Covers(in FlowKey key, in FlowKey maskBits, in FlowKey maskedKey)
    {
        ref byte k = ref Unsafe.As<FlowKey, byte>(ref Unsafe.AsRef(in key));
        ref byte m = ref Unsafe.As<FlowKey, byte>(ref Unsafe.AsRef(in maskBits));
        ref byte e = ref Unsafe.As<FlowKey, byte>(ref Unsafe.AsRef(in maskedKey));
        if (Vector512.IsHardwareAccelerated)
        {
            const nuint second = FlowKey.Size - 64;
            var difference = ((Vector512.LoadUnsafe(ref k) & Vector512.LoadUnsafe(ref m)) ^ Vector512.LoadUnsafe(ref e))
                | ((Vector512.LoadUnsafe(ref k, second) & Vector512.LoadUnsafe(ref m, second)) ^ Vector512.LoadUnsafe(ref e, second));
            return difference == Vector512<byte>.Zero;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            const nuint fourth = FlowKey.Size - 32;
            var difference = ((Vector256.LoadUnsafe(ref k) & Vector256.LoadUnsafe(ref m)) ^ Vector256.LoadUnsafe(ref e))
                | ((Vector256.LoadUnsafe(ref k, 32) & Vector256.LoadUnsafe(ref m, 32)) ^ Vector256.LoadUnsafe(ref e, 32))
                | ((Vector256.LoadUnsafe(ref k, 64) & Vector256.LoadUnsafe(ref m, 64)) ^ Vector256.LoadUnsafe(ref e, 64))
                | ((Vector256.LoadUnsafe(ref k, fourth) & Vector256.LoadUnsafe(ref m, fourth)) ^ Vector256.LoadUnsafe(ref e, fourth));
            return difference == Vector256<byte>.Zero;
        }
        ref ulong kw = ref Unsafe.As<byte, ulong>(ref k);
        ref ulong mw = ref Unsafe.As<byte, ulong>(ref m);
        ref ulong ew = ref Unsafe.As<byte, ulong>(ref e);
        ulong differences = 0;
        for (int i = 0; i < FlowKey.Words; i++)
            differences |= (Unsafe.Add(ref kw, i) & Unsafe.Add(ref mw, i)) ^ Unsafe.Add(ref ew, i);
        return differences == 0;
    }
}
