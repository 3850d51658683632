namespace NetFabric.Datapath.Flows;

/// <summary>
/// A wildcard match: the key's matched bits (kept masked) and the mask. A packet whose key agrees with
/// <see cref="Key"/> on every bit of <see cref="Mask"/> is covered. Immutable, allocation-free.
/// </summary>
public readonly struct FlowMatch : IEquatable<FlowMatch>
{
    private readonly FlowKey _key;
    private readonly FlowMask _mask;

    /// <summary>Creates a match from any key (its wildcarded bits are cleared here) and a mask.</summary>
    public FlowMatch(in FlowKey key, in FlowMask mask)
    {
        _mask = mask;
        mask.Apply(key, out _key);
    }

    /// <summary>An exact match of <paramref name="key"/>.</summary>
    public static FlowMatch Exactly(in FlowKey key) => new(key, FlowMask.Exact);

    /// <summary>The matched bits of the key (wildcarded bits are zero).</summary>
    public FlowKey Key => _key;

    /// <summary>Which bits are matched.</summary>
    public FlowMask Mask => _mask;

    /// <summary>True when <paramref name="key"/> agrees with this match on every matched bit.</summary>
    public bool Covers(in FlowKey key) => _mask.Matches(key, _key);

    /// <summary>True when some key is covered by both matches.</summary>
    public bool Overlaps(in FlowMatch other)
    {
        var mine = _key.AsWords();
        var theirs = other._key.AsWords();
        var myMask = _mask.Words;
        var theirMask = other._mask.Words;
        for (int i = 0; i < FlowKey.Words; i++)
            if (((mine[i] ^ theirs[i]) & myMask[i] & theirMask[i]) != 0) return false;
        return true;
    }

    /// <inheritdoc />
    public bool Equals(FlowMatch other) => _mask.Equals(other._mask) && _key.Equals(other._key);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is FlowMatch other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_key, _mask);

    /// <summary>Match equality.</summary>
    public static bool operator ==(FlowMatch left, FlowMatch right) => left.Equals(right);

    /// <summary>Match inequality.</summary>
    public static bool operator !=(FlowMatch left, FlowMatch right) => !left.Equals(right);

    /// <summary>The key's fields in Open vSwitch syntax followed by the mask's word bitmap. For diagnostics.</summary>
    public override string ToString() => $"{_key} mask=0x{_mask.UsedWords:x4}/{_mask.BitCount}bits";
}
