using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using NetFabric.Datapath.Internal;

namespace NetFabric.Datapath.Protocols;

/// <summary>
/// A read view over a VXLAN header (RFC 7348 §5) and the inner Ethernet frame behind it. Never throws
/// and never reads outside the span: <see cref="TryRead"/> returns false when the header is absent or
/// its I flag is clear.
/// </summary>
/// <remarks>
/// Layout: flags (I = 0x08), 24 reserved bits, 24-bit VNI, 8 reserved bits. The reserved fields "MUST be
/// set to zero on transmission and ignored on receipt" (RFC 7348 §5), so <see cref="TryRead"/> does not check them.
/// </remarks>
public readonly ref struct VxlanHeader
{
    /// <summary>Length of the VXLAN header.</summary>
    public const int Length = 8;
    /// <summary>The IANA-assigned UDP destination port for VXLAN (RFC 7348 §5).</summary>
    public const ushort UdpPort = 4789;
    /// <summary>The I flag: set when the VNI is valid; RFC 7348 §5 requires it.</summary>
    public const byte ValidVniFlag = 0x08;
    /// <summary>Largest VNI: the field is 24 bits wide.</summary>
    public const uint MaximumVni = 0xFF_FFFF;

    private readonly ReadOnlySpan<byte> _bytes;

    private VxlanHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Reads the header at the start of <paramref name="udpPayload"/>. O(1), allocation-free. False when the
    /// span is shorter than 8 bytes or the I flag is clear (the VNI would be meaningless).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> udpPayload, out VxlanHeader header)
    {
        header = default;
        if (udpPayload.Length < Length || (udpPayload[0] & ValidVniFlag) == 0) return false;
        header = new VxlanHeader(udpPayload);
        return true;
    }

    /// <summary>The flags byte as sent (the I flag is always set in a view that <see cref="TryRead"/> returned).</summary>
    public byte Flags => _bytes[0];

    /// <summary>The 24-bit VXLAN network identifier.</summary>
    public uint Vni => BinaryPrimitives.ReadUInt32BigEndian(_bytes.Slice(4)) >> 8;

    /// <summary>The inner Ethernet frame: every byte after the header (not validated).</summary>
    public ReadOnlySpan<byte> Payload => _bytes.Slice(Length);

    /// <summary>
    /// Writes a header with the I flag set, <paramref name="vni"/> and zero reserved fields. Returns 8.
    /// Throws <see cref="ArgumentException"/> when the destination is shorter than 8 bytes and
    /// <see cref="ArgumentOutOfRangeException"/> when <paramref name="vni"/> does not fit 24 bits.
    /// </summary>
    public static int Write(Span<byte> destination, uint vni)
    {
        if (vni > MaximumVni) ThrowHelper.ArgumentOutOfRange(nameof(vni), "A VXLAN network identifier is 24 bits wide.");
        if (destination.Length < Length) ThrowHelper.DestinationTooShort("a VXLAN header", Length, destination.Length);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)ValidVniFlag << 24);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(4), vni << 8);
        return Length;
    }
}
