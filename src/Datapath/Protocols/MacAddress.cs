using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A 48-bit IEEE 802 MAC address held in a <see cref="ulong"/> (the first octet on the
/// wire is the most significant of the low 48 bits). Blittable, 8 bytes, no allocation.
/// </summary>
public readonly struct MacAddress : IEquatable<MacAddress>, ISpanFormattable
{
    private const ulong Mask48 = 0xFFFF_FFFF_FFFFUL;
    private readonly ulong _value;

    /// <summary>Creates an address from the low 48 bits of <paramref name="value"/>.</summary>
    public MacAddress(ulong value) => _value = value & Mask48;

    /// <summary>The all-zero address.</summary>
    public static MacAddress Zero => default;

    /// <summary>The broadcast address ff:ff:ff:ff:ff:ff.</summary>
    public static MacAddress Broadcast => new(Mask48);

    /// <summary>The address as a 48-bit integer, first wire octet most significant.</summary>
    public ulong Value => _value;

    /// <summary>True for ff:ff:ff:ff:ff:ff.</summary>
    public bool IsBroadcast => _value == Mask48;

    /// <summary>True when the group bit (least significant bit of the first octet) is set; includes broadcast.</summary>
    public bool IsMulticast => (_value & 0x0100_0000_0000UL) != 0;

    /// <summary>True when the locally administered bit is set.</summary>
    public bool IsLocallyAdministered => (_value & 0x0200_0000_0000UL) != 0;

    /// <summary>Reads six octets in network order. The caller guarantees at least six bytes.</summary>
    public static MacAddress Read(ReadOnlySpan<byte> source) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(source) << 32) | BinaryPrimitives.ReadUInt32BigEndian(source.Slice(2)));

    /// <summary>Writes six octets in network order. The caller guarantees at least six bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(_value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(2), (uint)_value);
    }

    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c> or <c>aa-bb-cc-dd-ee-ff</c>; returns false on anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress address)
    {
        address = default;
        if (text.Length != 17) return false;
        char separator = text[2];
        if (separator != ':' && separator != '-') return false;
        ulong value = 0;
        for (int i = 0; i < 6; i++)
        {
            if (i > 0 && text[i * 3 - 1] != separator) return false;
            if (!byte.TryParse(text.Slice(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte octet))
                return false;
            value = (value << 8) | octet;
        }
        address = new MacAddress(value);
        return true;
    }

    /// <summary>Parses like <see cref="TryParse"/>; throws <see cref="FormatException"/> on bad text.</summary>
    public static MacAddress Parse(string text)
    {
        if (!TryParse(text, out var address)) ThrowHelper.Format("MAC address", text);
        return address;
    }

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
    {
        charsWritten = 0;
        if (destination.Length < 17) return false;
        const string hex = "0123456789abcdef";
        for (int i = 0; i < 6; i++)
        {
            int octet = (int)(_value >> (40 - 8 * i)) & 0xFF;
            if (i > 0) destination[i * 3 - 1] = ':';
            destination[i * 3] = hex[octet >> 4];
            destination[i * 3 + 1] = hex[octet & 0xF];
        }
        charsWritten = 17;
        return true;
    }

    /// <summary>Formats as lower-case <c>aa:bb:cc:dd:ee:ff</c>.</summary>
    public override string ToString() => string.Create(17, this, static (span, mac) => mac.TryFormat(span, out _));

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc />
    public bool Equals(MacAddress other) => _value == other._value;

    /// <inheritdoc />
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is MacAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Equality of the 48-bit values.</summary>
    public static bool operator ==(MacAddress left, MacAddress right) => left._value == right._value;

    /// <summary>Inequality of the 48-bit values.</summary>
    public static bool operator !=(MacAddress left, MacAddress right) => left._value != right._value;
}
