using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A 128-bit IPv6 address held as two host-order <see cref="ulong"/> halves (wire order:
/// <see cref="Upper"/> then <see cref="Lower"/>). Blittable, 16 bytes, no allocation except when formatting.
/// </summary>
public readonly struct IPv6Address : IEquatable<IPv6Address>, ISpanFormattable
{
    private readonly ulong _upper;
    private readonly ulong _lower;

    /// <summary>Creates an address from its two 64-bit halves.</summary>
    public IPv6Address(ulong upper, ulong lower)
    {
        _upper = upper;
        _lower = lower;
    }

    /// <summary>The unspecified address ::.</summary>
    public static IPv6Address Any => default;

    /// <summary>The first 64 bits on the wire.</summary>
    public ulong Upper => _upper;

    /// <summary>The last 64 bits on the wire.</summary>
    public ulong Lower => _lower;

    /// <summary>True for ff00::/8.</summary>
    public bool IsMulticast => (_upper >> 56) == 0xFF;

    /// <summary>True for fe80::/10.</summary>
    public bool IsLinkLocal => (_upper >> 54) == (0xFE80UL >> 6);

    /// <summary>Reads sixteen octets in network order. The caller guarantees at least sixteen bytes.</summary>
    public static IPv6Address Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source.Slice(8)));

    /// <summary>Writes sixteen octets in network order. The caller guarantees at least sixteen bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _upper);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(8), _lower);
    }

    /// <summary>
    /// The solicited-node multicast address ff02::1:ffXX:XXXX for this address (RFC 4291 §2.7.1),
    /// the destination of a neighbour solicitation.
    /// </summary>
    public IPv6Address SolicitedNodeMulticast => new(0xFF02_0000_0000_0000UL, 0x0000_0001_FF00_0000UL | (_lower & 0xFF_FFFFUL));

    /// <summary>Parses any RFC 4291 text form (including embedded IPv4); returns false on anything else, including scope ids.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IPv6Address address)
    {
        address = default;
        if (text.IndexOf('%') >= 0 || !IPAddress.TryParse(text, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
            return false;
        Span<byte> bytes = stackalloc byte[16];
        parsed.TryWriteBytes(bytes, out _);
        address = Read(bytes);
        return true;
    }

    /// <summary>Parses like <see cref="TryParse"/>; throws <see cref="FormatException"/> on bad text.</summary>
    public static IPv6Address Parse(string text)
    {
        if (!TryParse(text, out var address)) ThrowHelper.Format("IPv6 address", text);
        return address;
    }

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
    {
        Span<byte> bytes = stackalloc byte[16];
        Write(bytes);
        return new IPAddress(bytes).TryFormat(destination, out charsWritten);
    }

    /// <summary>Formats in the RFC 5952 canonical text form.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        Write(bytes);
        return new IPAddress(bytes).ToString();
    }

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool Equals(IPv6Address other) => _upper == other._upper && _lower == other._lower;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is IPv6Address other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_upper, _lower);

    /// <summary>Equality of the 128-bit values.</summary>
    public static bool operator ==(IPv6Address left, IPv6Address right) => left.Equals(right);

    /// <summary>Inequality of the 128-bit values.</summary>
    public static bool operator !=(IPv6Address left, IPv6Address right) => !left.Equals(right);
}
