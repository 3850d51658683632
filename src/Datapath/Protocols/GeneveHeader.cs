using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over a Geneve header (RFC 8926 §3.4) with its variable-length options and payload.
/// <see cref="TryRead"/> accepts version 0 only and checks that the announced options fit in the span, so
/// every member stays inside it; nothing here throws.
/// </summary>
/// <remarks>
/// Layout: Ver (2 bits) | Opt Len (6 bits, 4-byte words) | O | C | 6 reserved bits | Protocol Type (16) |
/// VNI (24) | reserved (8) | options. Reserved bits are ignored on receipt (RFC 8926 §3.4).
/// </remarks>
public readonly ref struct GeneveHeader
{
    /// <summary>Length of the fixed part of the header (without options).</summary>
    public const int Length = 8;
    /// <summary>Longest option area: Opt Len is 6 bits counting 4-byte words.</summary>
    public const int MaximumOptionsLength = 63 * 4;
    /// <summary>The IANA-assigned UDP destination port for Geneve (RFC 8926 §3.3).</summary>
    public const ushort UdpPort = 6081;
    /// <summary>Largest VNI: the field is 24 bits wide.</summary>
    public const uint MaximumVni = 0xFF_FFFF;
    /// <summary>The O bit of the second byte: a control message for the tunnel endpoints.</summary>
    public const byte ControlFlag = 0x80;
    /// <summary>The C bit of the second byte: one or more options have the critical bit set.</summary>
    public const byte CriticalFlag = 0x40;

    private readonly ReadOnlySpan<byte> _bytes;

    private GeneveHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Reads the header at the start of <paramref name="udpPayload"/>. O(1), allocation-free. False when the span
    /// is shorter than 8 bytes or than the options it announces, or when the version is not 0 (RFC 8926 §3.4 has
    /// receivers drop versions they do not know).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> udpPayload, out GeneveHeader header)
    {
        header = default;
        if (udpPayload.Length < Length || (udpPayload[0] >> 6) != 0) return false;
        if (Length + (udpPayload[0] & 0x3F) * 4 > udpPayload.Length) return false;
        header = new GeneveHeader(udpPayload);
        return true;
    }

    /// <summary>The version; always 0 in a view that <see cref="TryRead"/> returned.</summary>
    public int Version => _bytes[0] >> 6;

    /// <summary>Length of the option area in bytes (Opt Len × 4), 0..252.</summary>
    public int OptionsLength => (_bytes[0] & 0x3F) * 4;

    /// <summary>Header length in bytes: 8 plus <see cref="OptionsLength"/>.</summary>
    public int HeaderLength => Length + OptionsLength;

    /// <summary>The O bit: the packet is a control message that tunnel endpoints must not forward as data (RFC 8926 §3.4).</summary>
    public bool IsControl => (_bytes[1] & ControlFlag) != 0;

    /// <summary>The C bit as sent: the sender says one or more options are critical.</summary>
    public bool IsCriticalFlagSet => (_bytes[1] & CriticalFlag) != 0;

    /// <summary>The payload's protocol as an EtherType (0x6558 for an Ethernet frame).</summary>
    public ushort ProtocolType => BinaryPrimitives.ReadUInt16BigEndian(_bytes.Slice(2));

    /// <summary>The 24-bit virtual network identifier.</summary>
    public uint Vni => BinaryPrimitives.ReadUInt32BigEndian(_bytes.Slice(4)) >> 8;

    /// <summary>The raw option area (<see cref="OptionsLength"/> bytes).</summary>
    public ReadOnlySpan<byte> OptionBytes => _bytes.Slice(Length, OptionsLength);

    /// <summary>The options as a foreach-able walk; allocation-free, stops at the first malformed option.</summary>
    public GeneveOptionEnumerator Options => new(OptionBytes);

    /// <summary>
    /// True when a receiver must understand some option before using the payload: the C bit is set, an option
    /// has the critical bit in its type, or the option area is malformed (it cannot then be shown to be free of
    /// critical options, so the conservative answer is yes). Walks the options: O(number of options).
    /// </summary>
    public bool HasCriticalOptions
    {
        get
        {
            if (IsCriticalFlagSet) return true;
            var options = Options;
            while (options.MoveNext())
                if (options.Current.IsCritical) return true;
            return options.IsMalformed;
        }
    }

    /// <summary>Everything after the header and options.</summary>
    public ReadOnlySpan<byte> Payload => _bytes.Slice(HeaderLength);

    /// <summary>
    /// Writes a version-0 header followed by <paramref name="encodedOptions"/> (a sequence of TLVs built with
    /// <see cref="WriteOption"/>). The C bit is set when an option's type has the critical bit, as RFC 8926 §3.4
    /// requires. Returns the header length (8 + options). Walks the options once; allocation-free.
    /// Throws <see cref="ArgumentOutOfRangeException"/> when <paramref name="vni"/> exceeds 24 bits or the options
    /// are not well-formed TLVs filling a multiple of 4 bytes up to 252, and <see cref="ArgumentException"/> when the
    /// destination is too short.
    /// </summary>
    public static int Write(Span<byte> destination, uint vni, ReadOnlySpan<byte> encodedOptions,
        ushort protocolType = EtherType.TransparentEthernetBridging, bool control = false)
    {
        if (vni > MaximumVni) ThrowHelper.ArgumentOutOfRange(nameof(vni), "A Geneve virtual network identifier is 24 bits wide.");
        if (encodedOptions.Length % 4 != 0 || encodedOptions.Length > MaximumOptionsLength)
            ThrowHelper.ArgumentOutOfRange(nameof(encodedOptions), "Geneve options fill a multiple of 4 bytes, at most 252.");
        bool critical = false;
        var walk = new GeneveOptionEnumerator(encodedOptions);
        while (walk.MoveNext()) critical |= walk.Current.IsCritical;
        if (walk.IsMalformed) ThrowHelper.ArgumentOutOfRange(nameof(encodedOptions), "The Geneve options are not a well-formed sequence of TLVs.");
        int headerLength = Length + encodedOptions.Length;
        if (destination.Length < headerLength) ThrowHelper.DestinationTooShort("a Geneve header", headerLength, destination.Length);
        destination[0] = (byte)(encodedOptions.Length / 4);
        destination[1] = (byte)((control ? ControlFlag : 0) | (critical ? CriticalFlag : 0));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), protocolType);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(4), vni << 8);
        encodedOptions.CopyTo(destination.Slice(Length));
        return headerLength;
    }

    /// <summary>Bytes <see cref="WriteOption"/> produces for <paramref name="dataLength"/> bytes of data: 4 + data rounded up to 4.</summary>
    public static int OptionLength(int dataLength) => GeneveOption.HeaderLength + ((dataLength + 3) & ~3);

    /// <summary>
    /// Encodes one option TLV (RFC 8926 §3.5): class, type (its high bit is the critical bit), length in 4-byte
    /// words, then <paramref name="data"/> zero-padded to a multiple of 4 bytes (the reader returns the padded
    /// data). Returns the bytes written. Throws <see cref="ArgumentOutOfRangeException"/> when the data exceeds
    /// 124 bytes (5-bit length) and <see cref="ArgumentException"/> when the destination is too short.
    /// </summary>
    public static int WriteOption(Span<byte> destination, ushort optionClass, byte type, ReadOnlySpan<byte> data)
    {
        if (data.Length > GeneveOption.MaximumDataLength) ThrowHelper.ArgumentOutOfRange(nameof(data), "Geneve option data is at most 124 bytes.");
        int length = OptionLength(data.Length);
        if (destination.Length < length) ThrowHelper.DestinationTooShort("a Geneve option", length, destination.Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination, optionClass);
        destination[2] = type;
        destination[3] = (byte)((length - GeneveOption.HeaderLength) / 4);
        data.CopyTo(destination.Slice(GeneveOption.HeaderLength));
        destination.Slice(GeneveOption.HeaderLength + data.Length, length - GeneveOption.HeaderLength - data.Length).Clear();
        return length;
    }
}

/// <summary>
/// One Geneve option TLV (RFC 8926 §3.5), a view into the option area. Only produced by
/// <see cref="GeneveOptionEnumerator"/>, which guarantees it lies inside the span.
/// </summary>
public readonly ref struct GeneveOption
{
    /// <summary>Length of the option header (class, type, length).</summary>
    public const int HeaderLength = 4;
    /// <summary>Longest option data: the 5-bit length field counts 4-byte words.</summary>
    public const int MaximumDataLength = 31 * 4;
    /// <summary>The high bit of the type: a receiver that does not understand the option must drop the packet.</summary>
    public const byte CriticalTypeBit = 0x80;

    private readonly ReadOnlySpan<byte> _bytes;

    internal GeneveOption(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>The option class (namespace of <see cref="Type"/>, IANA registry).</summary>
    public ushort Class => BinaryPrimitives.ReadUInt16BigEndian(_bytes);

    /// <summary>The type byte as sent, critical bit included.</summary>
    public byte Type => _bytes[2];

    /// <summary>True when the type's high bit is set (RFC 8926 §3.5: unknown critical options force a drop).</summary>
    public bool IsCritical => (_bytes[2] & CriticalTypeBit) != 0;

    /// <summary>Bytes the option occupies: 4 + data.</summary>
    public int Length => _bytes.Length;

    /// <summary>The option data (a multiple of 4 bytes; padding included).</summary>
    public ReadOnlySpan<byte> Data => _bytes.Slice(HeaderLength);
}

/// <summary>
/// Walks Geneve option TLVs, for use with <c>foreach</c>. Allocation-free and never throws: the walk ends at the
/// end of the option area or at the first option whose length runs past it (then <see cref="IsMalformed"/> is true).
/// </summary>
public ref struct GeneveOptionEnumerator
{
    private ReadOnlySpan<byte> _remaining;
    private ReadOnlySpan<byte> _current;

    /// <summary>Starts a walk over <paramref name="options"/> (an option area, e.g. <see cref="GeneveHeader.OptionBytes"/>).</summary>
    public GeneveOptionEnumerator(ReadOnlySpan<byte> options)
    {
        _remaining = options;
        _current = default;
        IsMalformed = false;
    }

    /// <summary>The option the walk stands on; valid after <see cref="MoveNext"/> returned true.</summary>
    public readonly GeneveOption Current => new(_current);

    /// <summary>True once the walk stopped because the remaining bytes did not hold a whole option.</summary>
    public bool IsMalformed { get; private set; }

    /// <summary>Returns this walk, so <c>foreach</c> works on it.</summary>
    public readonly GeneveOptionEnumerator GetEnumerator() => this;

    /// <summary>Advances to the next option; false at the end of the area or at a malformed option.</summary>
    public bool MoveNext()
    {
        if (_remaining.IsEmpty) return false;
        if (_remaining.Length < GeneveOption.HeaderLength)
        {
            IsMalformed = true;
            _remaining = default;
            return false;
        }
        int length = GeneveOption.HeaderLength + (_remaining[3] & 0x1F) * 4;
        if (length > _remaining.Length)
        {
            IsMalformed = true;
            _remaining = default;
            return false;
        }
        _current = _remaining.Slice(0, length);
        _remaining = _remaining.Slice(length);
        return true;
    }
}
