using System.Buffers.Binary;

namespace NetFabric.Datapath.Tests.Capture;

/// Builds pcapng files block by block (draft-ietf-opsawg-pcapng) so that tests can produce
/// what tools rarely write: SPBs, unknown blocks, options everywhere, sections in both byte orders.
internal sealed class PcapNgBuilder
{
    public const uint SectionHeaderType = 0x0A0D0D0A;
    public const uint InterfaceDescriptionType = 1;
    public const uint ObsoletePacketType = 2;
    public const uint SimplePacketType = 3;
    public const uint InterfaceStatisticsType = 5;
    public const uint EnhancedPacketType = 6;

    private readonly List<byte> _bytes = [];
    private bool _bigEndian;

    public int Length => _bytes.Count;

    public byte[] ToArray() => [.. _bytes];

    public static (ushort Code, byte[] Value) Option(ushort code, params byte[] value) => (code, value);

    public static (ushort Code, byte[] Value) TextOption(ushort code, string text) =>
        (code, System.Text.Encoding.UTF8.GetBytes(text));

    public PcapNgBuilder SectionHeader(bool bigEndian, params (ushort Code, byte[] Value)[] options)
    {
        _bigEndian = bigEndian;
        var body = new List<byte>();
        Append(body, 0x1A2B3C4Du);
        Append(body, (ushort)1);
        Append(body, (ushort)0);
        Append(body, ulong.MaxValue); // section length -1: not specified
        AppendOptions(body, options);
        return Block(SectionHeaderType, body);
    }

    public PcapNgBuilder InterfaceDescription(ushort linkType, uint snapLength, params (ushort Code, byte[] Value)[] options)
    {
        var body = new List<byte>();
        Append(body, linkType);
        Append(body, (ushort)0);
        Append(body, snapLength);
        AppendOptions(body, options);
        return Block(InterfaceDescriptionType, body);
    }

    public PcapNgBuilder EnhancedPacket(uint interfaceId, ulong timestampUnits, byte[] data, uint? originalLength = null,
        params (ushort Code, byte[] Value)[] options)
    {
        var body = new List<byte>();
        Append(body, interfaceId);
        Append(body, (uint)(timestampUnits >> 32));
        Append(body, (uint)timestampUnits);
        Append(body, (uint)data.Length);
        Append(body, originalLength ?? (uint)data.Length);
        AppendPadded(body, data);
        AppendOptions(body, options);
        return Block(EnhancedPacketType, body);
    }

    public PcapNgBuilder ObsoletePacket(ushort interfaceId, ulong timestampUnits, byte[] data)
    {
        var body = new List<byte>();
        Append(body, interfaceId);
        Append(body, (ushort)0); // drops count
        Append(body, (uint)(timestampUnits >> 32));
        Append(body, (uint)timestampUnits);
        Append(body, (uint)data.Length);
        Append(body, (uint)data.Length);
        AppendPadded(body, data);
        return Block(ObsoletePacketType, body);
    }

    public PcapNgBuilder SimplePacket(uint originalLength, byte[] storedData)
    {
        var body = new List<byte>();
        Append(body, originalLength);
        AppendPadded(body, storedData);
        return Block(SimplePacketType, body);
    }

    /// A block of any type with an opaque body (padded to 32 bits).
    public PcapNgBuilder Block(uint type, IEnumerable<byte> body)
    {
        var padded = new List<byte>(body);
        while (padded.Count % 4 != 0) padded.Add(0);
        uint total = (uint)(padded.Count + 12);
        Append(_bytes, type);
        Append(_bytes, total);
        _bytes.AddRange(padded);
        Append(_bytes, total);
        return this;
    }

    /// Appends raw bytes, e.g. a hand-corrupted header.
    public PcapNgBuilder Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    private void AppendOptions(List<byte> body, (ushort Code, byte[] Value)[] options)
    {
        if (options.Length == 0)
            return;
        foreach ((ushort code, byte[] value) in options)
        {
            Append(body, code);
            Append(body, (ushort)value.Length);
            AppendPadded(body, value);
        }
        Append(body, (ushort)0); // opt_endofopt
        Append(body, (ushort)0);
    }

    private static void AppendPadded(List<byte> body, byte[] data)
    {
        body.AddRange(data);
        while (body.Count % 4 != 0) body.Add(0);
    }

    private void Append(List<byte> to, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        if (_bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, value); else BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        to.AddRange(b);
    }

    private void Append(List<byte> to, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        if (_bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, value); else BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        to.AddRange(b);
    }

    private void Append(List<byte> to, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        if (_bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, value); else BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        to.AddRange(b);
    }

    public static byte[] Int64Option(long value, bool bigEndian)
    {
        var b = new byte[8];
        if (bigEndian) BinaryPrimitives.WriteInt64BigEndian(b, value); else BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return b;
    }
}
