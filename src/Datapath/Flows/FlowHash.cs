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
    /// The hash of a whole key (every word): what the exact-match cache and flow-hash distribution use. Multilinear:
    /// each word times its own odd constant, the products summed, then <see cref="Finish"/>. The 14 multiplies are
    /// independent, so the hash costs about their throughput rather than a chain of 14 dependent steps, and a change
    /// in any one word always changes the sum (its constant is odd, so the product of a non-zero difference is
    /// non-zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Of(in FlowKey key)
    {
        ref ulong w = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key));
        ulong a = Unsafe.Add(ref w, 0) * 0xBF58_476D_1CE4_E5B9UL + Unsafe.Add(ref w, 1) * 0x94D0_49BB_1331_11EBUL
            + Unsafe.Add(ref w, 2) * 0xC2B2_AE3D_27D4_EB4FUL + Unsafe.Add(ref w, 3) * 0x1656_67B1_9E37_79F9UL
            + Unsafe.Add(ref w, 4) * 0x27D4_EB2F_1656_67C5UL + Unsafe.Add(ref w, 5) * 0xFF51_AFD7_ED55_8CCDUL
            + Unsafe.Add(ref w, 6) * 0xC4CE_B9FE_1A85_EC53UL;
        ulong b = Unsafe.Add(ref w, 7) * 0x9FB2_1C65_1E98_DF25UL + Unsafe.Add(ref w, 8) * 0xD6E8_FEB8_6659_FD93UL
            + Unsafe.Add(ref w, 9) * 0xA076_1D64_78BD_642FUL + Unsafe.Add(ref w, 10) * 0xE703_7ED1_A0B4_28DBUL
            + Unsafe.Add(ref w, 11) * 0x8EBC_6AF0_9C88_C6E3UL + Unsafe.Add(ref w, 12) * 0x5899_65CC_7537_4CC3UL
            + Unsafe.Add(ref w, 13) * 0x1D8E_4E27_C47D_124FUL;
        return Finish(a + b + 0x9E37_79B9_7F4A_7C15UL);
    }
}
