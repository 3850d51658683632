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

    /// <summary>The hash of a whole key (every word): what the exact-match cache and flow-hash distribution use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Of(in FlowKey key)
    {
        ref ulong words = ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in key));
        ulong hash = 0x9E37_79B9_7F4A_7C15UL;
        for (int i = 0; i < FlowKey.Words; i++) hash = Mix(hash, Unsafe.Add(ref words, i));
        return Finish(hash);
    }
}
