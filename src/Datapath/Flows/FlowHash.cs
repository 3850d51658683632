using System.Runtime.CompilerServices;

namespace NetFabric.Datapath.Flows;

/// <summary>
/// The 64-bit mixing NetFabric hashes keys with: multiply-xorshift per word and a final avalanche
/// (a SplitMix64-style finaliser), cheap enough for every packet and well spread in the low bits that hash
/// tables index with.
/// </summary>
public static class FlowHash
{
    /// <summary>Folds one 64-bit word into <paramref name="hash"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong hash, ulong word)
    {
        hash ^= word;
        hash *= 0xBF58_476D_1CE4_E5B9UL;
        return hash ^ (hash >> 31);
    }

    /// <summary>The final avalanche after the last <see cref="Mix"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Finish(ulong hash)
    {
        hash ^= hash >> 30;
        hash *= 0x94D0_49BB_1331_11EBUL;
        return hash ^ (hash >> 31);
    }

    /// <summary>
    /// The hash of a whole key (every word): what the exact-match cache and flow-hash distribution use. Four
    /// independent lanes fold the 14 words so the multiplies overlap instead of forming one 14-long chain.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Of(in FlowKey key)
    {
        ref ulong w = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key));
        ulong a = 0x9E37_79B9_7F4A_7C15UL, b = 0xC2B2_AE3D_27D4_EB4FUL, c = 0x1656_67B1_9E37_79F9UL, d = 0x27D4_EB2F_1656_67C5UL;
        a = Mix(a, Unsafe.Add(ref w, 0)); b = Mix(b, Unsafe.Add(ref w, 1)); c = Mix(c, Unsafe.Add(ref w, 2)); d = Mix(d, Unsafe.Add(ref w, 3));
        a = Mix(a, Unsafe.Add(ref w, 4)); b = Mix(b, Unsafe.Add(ref w, 5)); c = Mix(c, Unsafe.Add(ref w, 6)); d = Mix(d, Unsafe.Add(ref w, 7));
        a = Mix(a, Unsafe.Add(ref w, 8)); b = Mix(b, Unsafe.Add(ref w, 9)); c = Mix(c, Unsafe.Add(ref w, 10)); d = Mix(d, Unsafe.Add(ref w, 11));
        a = Mix(a, Unsafe.Add(ref w, 12)); b = Mix(b, Unsafe.Add(ref w, 13));
        return Finish(Mix(Mix(Mix(a, b), c), d));
    }
}
