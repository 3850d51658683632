using System.Globalization;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// An IPv4 address with a prefix length, e.g. <c>198.18.0.1/24</c>: a route's destination or a
/// router port's address and subnet. The address keeps any host bits it was given (a port's own
/// address); <see cref="Network"/> clears them.
/// </summary>
public readonly record struct IPv4Prefix
{
    /// <summary>Creates a prefix; <paramref name="length"/> must be 0..32.</summary>
    public IPv4Prefix(IPv4Address address, int length)
    {
        if ((uint)length > 32) ThrowHelper.ArgumentOutOfRange(nameof(length), "An IPv4 prefix length is between 0 and 32.");
        Address = address;
        Length = length;
    }

    /// <summary>The address as given (may have host bits set).</summary>
    public IPv4Address Address { get; }

    /// <summary>The number of leading bits that form the network part, 0..32.</summary>
    public int Length { get; }

    /// <summary>The network mask as a 32-bit value.</summary>
    public uint Mask => Length == 0 ? 0u : uint.MaxValue << (32 - Length);

    /// <summary>The address with its host bits cleared.</summary>
    public IPv4Address Network => new(Address.Value & Mask);

    /// <summary>The subnet's directed broadcast address.</summary>
    public IPv4Address BroadcastAddress => new(Address.Value | ~Mask);

    /// <summary>True when <paramref name="address"/> lies inside this prefix.</summary>
    public bool Contains(IPv4Address address) => ((address.Value ^ Address.Value) & Mask) == 0;

    /// <summary>True when every address of <paramref name="other"/> lies inside this prefix.</summary>
    public bool Contains(IPv4Prefix other) => other.Length >= Length && Contains(other.Address);

    /// <summary>True when the two prefixes share at least one address.</summary>
    public bool Overlaps(IPv4Prefix other) => Contains(other) || other.Contains(this);

    /// <summary>Parses <c>a.b.c.d/len</c>, or a bare address as a /32; returns false on anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IPv4Prefix prefix)
    {
        prefix = default;
        int slash = text.IndexOf('/');
        int length = 32;
        if (slash >= 0 && (!int.TryParse(text.Slice(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > 32))
            return false;
        if (!IPv4Address.TryParse(slash >= 0 ? text.Slice(0, slash) : text, out var address)) return false;
        prefix = new IPv4Prefix(address, length);
        return true;
    }

    /// <summary>Parses like <see cref="TryParse"/>; throws <see cref="FormatException"/> on bad text.</summary>
    public static IPv4Prefix Parse(string text)
    {
        if (!TryParse(text, out var prefix)) ThrowHelper.Format("IPv4 prefix", text);
        return prefix;
    }

    /// <summary>Formats as <c>a.b.c.d/len</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Address}/{Length}");
}
