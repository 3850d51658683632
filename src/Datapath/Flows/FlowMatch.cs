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

    /// <summary>
    /// The matched fields only, in Open vSwitch megaflow syntax (<c>in_port=1,dl_dst=…,nw_dst=198.18.0.0/16</c>);
    /// wildcarded fields are left out and partially matched addresses get a prefix length. For diagnostics.
    /// </summary>
    public override string ToString()
    {
        var key = _key;
        var mask = _mask.Bits;
        var parts = new List<string>();
        void Add(bool matched, string name, object value)
        {
            if (matched) parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}={value}"));
        }
        Add(mask.InPort != 0, "in_port", key.InPort);
        Add(mask.TunnelId != 0, "tun_id", "0x" + key.TunnelId.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        Add(mask.EthernetSource.Value != 0, "dl_src", key.EthernetSource);
        Add(mask.EthernetDestination.Value != 0, "dl_dst", key.EthernetDestination);
        Add(mask.VlanTci != 0, "vlan_tci", "0x" + key.VlanTci.ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
        Add(mask.EtherType != 0, "dl_type", "0x" + key.EtherType.ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
        bool ipv6 = mask.EtherType != 0 && key.EtherType == Protocols.EtherType.IPv6;
        Add(mask.NetworkSource != default, "nw_src", Address(key.NetworkSource, mask.NetworkSource, ipv6));
        Add(mask.NetworkDestination != default, "nw_dst", Address(key.NetworkDestination, mask.NetworkDestination, ipv6));
        Add(mask.NetworkProtocol != 0, "nw_proto", key.NetworkProtocol);
        Add(mask.NetworkTos != 0, "nw_tos", key.NetworkTos);
        Add(mask.NetworkTtl != 0, "nw_ttl", key.NetworkTtl);
        Add(mask.Fragment != 0, "nw_frag", key.Fragment);
        Add(mask.TransportSource != 0, "tp_src", key.TransportSource);
        Add(mask.TransportDestination != 0, "tp_dst", key.TransportDestination);
        Add(mask.TcpFlags != 0, "tcp_flags", "0x" + key.TcpFlags.ToString("x3", System.Globalization.CultureInfo.InvariantCulture));
        Add(mask.ArpSourceHardware.Value != 0, "arp_sha", key.ArpSourceHardware);
        Add(mask.ArpTargetHardware.Value != 0, "arp_tha", key.ArpTargetHardware);
        if (key.Malformed) parts.Add("malformed");
        return parts.Count == 0 ? "(any packet)" : string.Join(",", parts);
    }

    private static string Address(Protocols.IPv6Address value, Protocols.IPv6Address mask, bool ipv6)
    {
        if (ipv6)
        {
            int bits = System.Numerics.BitOperations.PopCount(mask.Upper) + System.Numerics.BitOperations.PopCount(mask.Lower);
            return bits == 128 ? value.ToString() : $"{value}/{bits}";
        }
        int length = System.Numerics.BitOperations.PopCount((uint)mask.Lower);
        var address = new Protocols.IPv4Address((uint)value.Lower).ToString();
        return length == 32 ? address : $"{address}/{length}";
    }
}
