using System.Buffers.Binary;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over a DHCP message (RFC 2131 §2): the fixed BOOTP part, the magic cookie and the options
/// (RFC 2132). <see cref="TryRead"/> checks the length and the cookie so every fixed field lies inside the span;
/// the option walk stays inside it too. Nothing here throws or allocates.
/// </summary>
/// <remarks>
/// The sname and file fields are not interpreted, and option overload (option 52, which continues the options
/// inside them) and RFC 3396 long-option concatenation are not followed: <see cref="TryGetOption"/> returns the
/// first occurrence in the options field.
/// </remarks>
public readonly ref struct DhcpMessage
{
    /// <summary>Length of the fixed BOOTP part (op .. file), before the magic cookie.</summary>
    public const int FixedLength = 236;
    /// <summary>Offset of the first option: the fixed part plus the 4-byte magic cookie.</summary>
    public const int OptionsOffset = FixedLength + 4;
    /// <summary>Smallest message <see cref="TryRead"/> accepts: fixed part and cookie.</summary>
    public const int MinimumLength = OptionsOffset;
    /// <summary>Smallest BOOTP message relay agents must accept (RFC 1542 §2.1); <see cref="Write"/> pads to it.</summary>
    public const int MinimumBootpLength = 300;
    /// <summary>The magic cookie 99.130.83.99 that starts the options (RFC 2131 §3).</summary>
    public const uint MagicCookie = 0x6382_5363;
    /// <summary>Op code of a message from client to server.</summary>
    public const byte BootRequest = 1;
    /// <summary>Op code of a message from server to client.</summary>
    public const byte BootReply = 2;
    /// <summary>The UDP port servers (and relay agents) listen on (RFC 2131 §4.1).</summary>
    public const ushort ServerPort = 67;
    /// <summary>The UDP port clients listen on (RFC 2131 §4.1).</summary>
    public const ushort ClientPort = 68;
    /// <summary>The BROADCAST bit of the flags field (RFC 2131 §2, figure 2).</summary>
    public const ushort BroadcastFlag = 0x8000;
    /// <summary>The htype value of Ethernet (ARP hardware type 1).</summary>
    public const byte EthernetHardwareType = 1;

    private const int ChaddrOffset = 28;
    private const int ChaddrLength = 16;

    private readonly ReadOnlySpan<byte> _bytes;

    private DhcpMessage(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Reads a message at the start of <paramref name="udpPayload"/>. O(1), allocation-free. False when the span is
    /// shorter than 240 bytes or the magic cookie is missing (a BOOTP message without DHCP options).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> udpPayload, out DhcpMessage message)
    {
        message = default;
        if (udpPayload.Length < MinimumLength || BinaryPrimitives.ReadUInt32BigEndian(udpPayload.Slice(FixedLength)) != MagicCookie)
            return false;
        message = new DhcpMessage(udpPayload);
        return true;
    }

    /// <summary>Op: <see cref="BootRequest"/> or <see cref="BootReply"/> (other values are passed through).</summary>
    public byte Operation => _bytes[0];

    /// <summary>Hardware address type (1 = Ethernet).</summary>
    public byte HardwareType => _bytes[1];

    /// <summary>Hardware address length as sent (6 for Ethernet).</summary>
    public byte HardwareAddressLength => _bytes[2];

    /// <summary>Relay hops.</summary>
    public byte Hops => _bytes[3];

    /// <summary>Transaction id (xid) chosen by the client.</summary>
    public uint TransactionId => BinaryPrimitives.ReadUInt32BigEndian(_bytes.Slice(4));

    /// <summary>Seconds elapsed since the client began acquiring or renewing.</summary>
    public ushort Seconds => BinaryPrimitives.ReadUInt16BigEndian(_bytes.Slice(8));

    /// <summary>The flags field as sent.</summary>
    public ushort Flags => BinaryPrimitives.ReadUInt16BigEndian(_bytes.Slice(10));

    /// <summary>True when the client asks for broadcast replies (it cannot receive unicast before it has an address).</summary>
    public bool IsBroadcast => (Flags & BroadcastFlag) != 0;

    /// <summary>ciaddr: the client's current address, when it has one.</summary>
    public IPv4Address ClientAddress => IPv4Address.Read(_bytes.Slice(12));

    /// <summary>yiaddr: the address the server gives the client.</summary>
    public IPv4Address YourAddress => IPv4Address.Read(_bytes.Slice(16));

    /// <summary>siaddr: the next server to use in bootstrap.</summary>
    public IPv4Address ServerAddress => IPv4Address.Read(_bytes.Slice(20));

    /// <summary>giaddr: the relay agent's address, 0 when not relayed.</summary>
    public IPv4Address GatewayAddress => IPv4Address.Read(_bytes.Slice(24));

    /// <summary>chaddr: the first hlen bytes of the 16-byte field (all 16 when hlen is larger).</summary>
    public ReadOnlySpan<byte> ClientHardwareAddress => _bytes.Slice(ChaddrOffset, Math.Min((int)_bytes[2], ChaddrLength));

    /// <summary>chaddr as a MAC address when htype = 1 and hlen = 6; <see cref="MacAddress.Zero"/> otherwise.</summary>
    public MacAddress ClientMac =>
        _bytes[1] == EthernetHardwareType && _bytes[2] == 6 ? MacAddress.Read(_bytes.Slice(ChaddrOffset)) : MacAddress.Zero;

    /// <summary>The raw options field: everything after the magic cookie.</summary>
    public ReadOnlySpan<byte> OptionBytes => _bytes.Slice(OptionsOffset);

    /// <summary>The options as a foreach-able walk (Pad skipped, stops at End or at a truncated option).</summary>
    public DhcpOptionEnumerator Options => new(OptionBytes);

    /// <summary>
    /// Finds the first option with <paramref name="code"/> and returns its value. O(options), allocation-free.
    /// False when absent, when <paramref name="code"/> is Pad or End, or when the walk stops at a truncated option first.
    /// </summary>
    public bool TryGetOption(byte code, out ReadOnlySpan<byte> value)
    {
        var options = Options;
        while (options.MoveNext())
        {
            if (options.Current.Code == code)
            {
                value = options.Current.Data;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>
    /// Reads an address option (subnet mask, server identifier, requested address; the first entry of a router
    /// or DNS list). False when absent or when its length is not a non-zero multiple of 4.
    /// </summary>
    public bool TryGetAddressOption(byte code, out IPv4Address address)
    {
        address = default;
        if (!TryGetOption(code, out var value) || value.Length == 0 || value.Length % 4 != 0) return false;
        address = IPv4Address.Read(value);
        return true;
    }

    /// <summary>Reads a 32-bit option (lease, T1, T2 times). False when absent or not exactly 4 bytes long.</summary>
    public bool TryGetUInt32Option(byte code, out uint value)
    {
        value = 0;
        if (!TryGetOption(code, out var bytes) || bytes.Length != 4) return false;
        value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return true;
    }

    /// <summary>
    /// The DHCP message type (option 53); <see cref="DhcpMessageType.None"/> when the option is absent or not
    /// exactly one byte. Values outside the enum are passed through. O(options).
    /// </summary>
    public DhcpMessageType MessageType =>
        TryGetOption(DhcpOptionCode.MessageType, out var value) && value.Length == 1 ? (DhcpMessageType)value[0] : DhcpMessageType.None;

    /// <summary>Bytes <see cref="Write"/> produces for <paramref name="optionsLength"/> bytes of options: 240 + options, at least 300.</summary>
    public static int GetLength(int optionsLength) => Math.Max(OptionsOffset + optionsLength, MinimumBootpLength);

    /// <summary>
    /// Writes a message for an Ethernet client (htype 1, hlen 6, hops 0, secs 0, empty sname and file), the magic
    /// cookie and <paramref name="options"/> copied as given (end them with End, e.g. via
    /// <see cref="DhcpOptionWriter.AddEnd"/>). Zero-pads to 300 bytes (RFC 1542 §2.1) so strict decoders accept it.
    /// Returns the length written (<see cref="GetLength"/>). Throws <see cref="ArgumentException"/> when the
    /// destination is too short. Allocation-free.
    /// </summary>
    public static int Write(Span<byte> destination, byte op, uint transactionId, MacAddress clientMac, IPv4Address clientIp,
        IPv4Address yourIp, IPv4Address serverIp, IPv4Address gatewayIp, bool broadcast, ReadOnlySpan<byte> options)
    {
        int length = GetLength(options.Length);
        if (destination.Length < length) ThrowHelper.DestinationTooShort("a DHCP message", length, destination.Length);
        var message = destination.Slice(0, length);
        // Clearing first zeroes hops, secs, the chaddr tail, sname, file and the padding in one pass.
        message.Clear();
        message[0] = op;
        message[1] = EthernetHardwareType;
        message[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(message.Slice(4), transactionId);
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(10), broadcast ? BroadcastFlag : (ushort)0);
        clientIp.Write(message.Slice(12));
        yourIp.Write(message.Slice(16));
        serverIp.Write(message.Slice(20));
        gatewayIp.Write(message.Slice(24));
        clientMac.Write(message.Slice(ChaddrOffset));
        BinaryPrimitives.WriteUInt32BigEndian(message.Slice(FixedLength), MagicCookie);
        options.CopyTo(message.Slice(OptionsOffset));
        return length;
    }
}

/// <summary>One DHCP option (RFC 2132 §2), a view produced by <see cref="DhcpOptionEnumerator"/> that lies inside the message.</summary>
public readonly ref struct DhcpOption
{
    internal DhcpOption(byte code, ReadOnlySpan<byte> data)
    {
        Code = code;
        Data = data;
    }

    /// <summary>The option code (see <see cref="DhcpOptionCode"/>); never Pad or End.</summary>
    public byte Code { get; }

    /// <summary>The option value (0..255 bytes).</summary>
    public ReadOnlySpan<byte> Data { get; }
}

/// <summary>
/// Walks DHCP options, for use with <c>foreach</c>. Allocation-free, never throws, never reads outside the span:
/// Pad bytes are skipped, End stops the walk (<see cref="ReachedEnd"/>), and an option whose length byte or value
/// runs past the span stops it too (<see cref="IsMalformed"/>).
/// </summary>
public ref struct DhcpOptionEnumerator
{
    private ReadOnlySpan<byte> _remaining;
    private byte _code;
    private ReadOnlySpan<byte> _data;

    /// <summary>Starts a walk over <paramref name="options"/> (an options field, e.g. <see cref="DhcpMessage.OptionBytes"/>).</summary>
    public DhcpOptionEnumerator(ReadOnlySpan<byte> options)
    {
        _remaining = options;
        _code = 0;
        _data = default;
        ReachedEnd = false;
        IsMalformed = false;
    }

    /// <summary>The option the walk stands on; valid after <see cref="MoveNext"/> returned true.</summary>
    public readonly DhcpOption Current => new(_code, _data);

    /// <summary>True once the walk met the End option.</summary>
    public bool ReachedEnd { get; private set; }

    /// <summary>True once the walk stopped at an option that runs past the span.</summary>
    public bool IsMalformed { get; private set; }

    /// <summary>Returns this walk, so <c>foreach</c> works on it.</summary>
    public readonly DhcpOptionEnumerator GetEnumerator() => this;

    /// <summary>Advances to the next option; false at End, at the end of the span, or at a truncated option.</summary>
    public bool MoveNext()
    {
        while (!_remaining.IsEmpty)
        {
            byte code = _remaining[0];
            // Pad and End are the two fixed-length options: a code byte and no length (RFC 2132 §3.1, §3.2).
            if (code == DhcpOptionCode.Pad)
            {
                _remaining = _remaining.Slice(1);
                continue;
            }
            if (code == DhcpOptionCode.End)
            {
                ReachedEnd = true;
                _remaining = default;
                return false;
            }
            if (_remaining.Length < 2 || 2 + _remaining[1] > _remaining.Length)
            {
                IsMalformed = true;
                _remaining = default;
                return false;
            }
            int length = _remaining[1];
            _code = code;
            _data = _remaining.Slice(2, length);
            _remaining = _remaining.Slice(2 + length);
            return true;
        }
        return false;
    }
}
