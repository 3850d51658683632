using System.Buffers.Binary;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// Appends DHCP options (RFC 2132 §2: code, length, value) to a caller-provided span, so a message is built without
/// allocating; pass <see cref="Written"/> to <see cref="DhcpMessage.Write"/>. Every Add method throws
/// <see cref="ArgumentException"/> when the span is full (nothing is written then) and
/// <see cref="ArgumentOutOfRangeException"/> for a value longer than 255 bytes or a Pad/End code. Not thread-safe;
/// keep it in a local (it is a mutable ref struct).
/// </summary>
public ref struct DhcpOptionWriter
{
    private readonly Span<byte> _destination;
    private int _length;

    /// <summary>Starts writing at the beginning of <paramref name="destination"/>.</summary>
    public DhcpOptionWriter(Span<byte> destination)
    {
        _destination = destination;
        _length = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _length;

    /// <summary>The options written so far.</summary>
    public readonly ReadOnlySpan<byte> Written => _destination.Slice(0, _length);

    /// <summary>Appends option <paramref name="code"/> with <paramref name="value"/> (0..255 bytes).</summary>
    public void Add(byte code, scoped ReadOnlySpan<byte> value)
    {
        if (code is DhcpOptionCode.Pad or DhcpOptionCode.End)
            ThrowHelper.ArgumentOutOfRange(nameof(code), "Pad and End have no length byte; use AddEnd for End.");
        if (value.Length > byte.MaxValue) ThrowHelper.ArgumentOutOfRange(nameof(value), "A DHCP option value is at most 255 bytes.");
        var target = Reserve(2 + value.Length);
        target[0] = code;
        target[1] = (byte)value.Length;
        value.CopyTo(target.Slice(2));
    }

    /// <summary>Appends a one-byte option.</summary>
    public void AddByte(byte code, byte value)
    {
        Span<byte> bytes = stackalloc byte[1];
        bytes[0] = value;
        Add(code, bytes);
    }

    /// <summary>Appends option 53 with <paramref name="type"/>.</summary>
    public void AddMessageType(DhcpMessageType type) => AddByte(DhcpOptionCode.MessageType, (byte)type);

    /// <summary>Appends an option holding one IPv4 address (subnet mask, server identifier, requested address, a single router).</summary>
    public void AddAddress(byte code, IPv4Address address)
    {
        Span<byte> value = stackalloc byte[4];
        address.Write(value);
        Add(code, value);
    }

    /// <summary>Appends an option holding a list of IPv4 addresses (routers, DNS servers); at most 63 of them.</summary>
    public void AddAddresses(byte code, scoped ReadOnlySpan<IPv4Address> addresses)
    {
        if (addresses.Length > byte.MaxValue / 4) ThrowHelper.ArgumentOutOfRange(nameof(addresses), "A DHCP option holds at most 63 addresses.");
        Span<byte> value = stackalloc byte[byte.MaxValue / 4 * 4];
        for (int i = 0; i < addresses.Length; i++) addresses[i].Write(value.Slice(i * 4));
        Add(code, value.Slice(0, addresses.Length * 4));
    }

    /// <summary>Appends a 32-bit big-endian option (lease time, T1, T2).</summary>
    public void AddUInt32(byte code, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Add(code, bytes);
    }

    /// <summary>Appends the End option (a single 255 byte), which closes the options field.</summary>
    public void AddEnd() => Reserve(1)[0] = DhcpOptionCode.End;

    private Span<byte> Reserve(int count)
    {
        if (_destination.Length - _length < count) ThrowHelper.DestinationTooShort("the DHCP option", _length + count, _destination.Length);
        var target = _destination.Slice(_length, count);
        _length += count;
        return target;
    }
}
