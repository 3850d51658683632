using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// An IPv4 address held as a host-order <see cref="uint"/> (first wire octet most significant),
/// so prefixes compare with shifts and masks. Blittable, 4 bytes, no allocation.
/// </summary>
public readonly struct IPv4Address : IEquatable<IPv4Address>, IComparable<IPv4Address>, ISpanFormattable
{
    private readonly uint _value;

    /// <summary>Creates an address from its 32-bit value, first octet most significant.</summary>
    public IPv4Address(uint value) => _value = value;

    /// <summary>Creates an address from four octets, <paramref name="a"/> first.</summary>
    public IPv4Address(byte a, byte b, byte c, byte d) => _value = ((uint)a << 24) | ((uint)b << 16) | ((uint)c << 8) | d;

    /// <summary>0.0.0.0</summary>
    public static IPv4Address Any => default;

    /// <summary>255.255.255.255</summary>
    public static IPv4Address Broadcast => new(uint.MaxValue);

    /// <summary>The 32-bit value, first octet most significant.</summary>
    public uint Value => _value;

    /// <summary>True for 224.0.0.0/4.</summary>
    public bool IsMulticast => (_value & 0xF000_0000u) == 0xE000_0000u;

    /// <summary>Reads four octets in network order. The caller guarantees at least four bytes.</summary>
    public static IPv4Address Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt32BigEndian(source));

    /// <summary>Writes four octets in network order. The caller guarantees at least four bytes.</summary>
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, _value);

    /// <summary>Parses dotted-quad text (exactly four decimal octets); returns false on anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out IPv4Address address)
    {
        address = default;
        uint value = 0;
        for (int part = 0; part < 4; part++)
        {
            int end = part < 3 ? text.IndexOf('.') : text.Length;
            if (end <= 0 || end > 3) return false;
            if (!byte.TryParse(text.Slice(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out byte octet)) return false;
            value = (value << 8) | octet;
            text = part < 3 ? text.Slice(end + 1) : default;
        }
        address = new IPv4Address(value);
        return true;
    }

    /// <summary>Parses like <see cref="TryParse"/>; throws <see cref="FormatException"/> on bad text.</summary>
    public static IPv4Address Parse(string text)
    {
        if (!TryParse(text, out var address)) ThrowHelper.Format("IPv4 address", text);
        return address;
    }

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null) =>
        destination.TryWrite(CultureInfo.InvariantCulture, $"{_value >> 24}.{(_value >> 16) & 0xFF}.{(_value >> 8) & 0xFF}.{_value & 0xFF}", out charsWritten);

    /// <summary>Formats as dotted quad.</summary>
    public override string ToString()
    {
        Span<char> buffer = stackalloc char[15];
        TryFormat(buffer, out int written);
        return new string(buffer.Slice(0, written));
    }

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool Equals(IPv4Address other) => _value == other._value;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is IPv4Address other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (int)_value;

    /// <inheritdoc />
    public int CompareTo(IPv4Address other) => _value.CompareTo(other._value);

    /// <summary>Equality of the 32-bit values.</summary>
    public static bool operator ==(IPv4Address left, IPv4Address right) => left._value == right._value;

    /// <summary>Inequality of the 32-bit values.</summary>
    public static bool operator !=(IPv4Address left, IPv4Address right) => left._value != right._value;
}
