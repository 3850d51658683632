using System.Globalization;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// An IPv6 address with a prefix length, e.g. <c>2001:db8::1/64</c>. The address keeps any
/// host bits it was given; <see cref="Network"/> clears them.
/// </summary>
public readonly record struct IPv6Prefix
{
    /// <summary>Creates a prefix; <paramref name="length"/> must be 0..128.</summary>
    public IPv6Prefix(IPv6Address address, int length)
    {
        if ((uint)length > 128) ThrowHelper.ArgumentOutOfRange(nameof(length), "An IPv6 prefix length is between 0 and 128.");
        Address = address;
        Length = length;
    }

    /// <summary>The address as given (may have host bits set).</summary>
    public IPv6Address Address { get; }

    /// <summary>The number of leading bits that form the network part, 0..128.</summary>
    public int Length { get; }

    private ulong UpperMask => Length == 0 ? 0 : Length >= 64 ? ulong.MaxValue : ulong.MaxValue << (64 - Length);

    private ulong LowerMask => Length <= 64 ? 0 : Length == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - Length);

    /// <summary>The address with its host bits cleared.</summary>
    public IPv6Address Network => new(Address.Upper & UpperMask, Address.Lower & LowerMask);

    /// <summary>True when <paramref name="address"/> lies inside this prefix.</summary>
    public bool Contains(IPv6Address address) =>
        ((address.Upper ^ Address.Upper) & UpperMask) == 0 && ((address.Lower ^ Address.Lower) & LowerMask) == 0;

    /// <summary>True when every address of <paramref name="other"/> lies inside this prefix.</summary>
    public bool Contains(IPv6Prefix other) => other.Length >= Length && Contains(other.Address);

    /// <summary>True when the two prefixes share at least one address.</summary>
    public bool Overlaps(IPv6Prefix other) => Contains(other) || other.Contains(this);

    /// <summary>Parses <c>address/len</c>, or a bare address as a /128; returns false on anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IPv6Prefix prefix)
    {
        prefix = default;
        int slash = text.IndexOf('/');
        int length = 128;
        if (slash >= 0 && (!int.TryParse(text.Slice(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > 128))
            return false;
        if (!IPv6Address.TryParse(slash >= 0 ? text.Slice(0, slash) : text, out var address)) return false;
        prefix = new IPv6Prefix(address, length);
        return true;
    }

    /// <summary>Parses like <see cref="TryParse"/>; throws <see cref="FormatException"/> on bad text.</summary>
    public static IPv6Prefix Parse(string text)
    {
        if (!TryParse(text, out var prefix)) ThrowHelper.Format("IPv6 prefix", text);
        return prefix;
    }

    /// <summary>Formats as <c>address/len</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Address}/{Length}");
}
