using System.Buffers.Binary;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Benchmarks.Dpdk;

/// <summary>
/// The 64-byte IPv4/UDP frames of the DPDK benchmark: flow <c>f</c> is the frame to 198.18.0.0 + f (a routed /32
/// each; the first 131,072 flows stay inside the 198.18.0.0/15 benchmarking range of RFC 2544). A frame is written
/// whole once (<see cref="Write"/>) and then, each time it comes round again, restored into the next flow's frame
/// with a few stores (<see cref="Restore"/>).
/// </summary>
internal sealed class FlowFrames
{
    /// <summary>Frame length, as testpmd's and net_null's default 64 bytes (no FCS).</summary>
    public const int FrameLength = 64;

    /// <summary>The router's MAC: the routing actions' new source.</summary>
    public static readonly MacAddress RouterMac = MacAddress.Parse("02:00:00:00:00:01");

    /// <summary>The next hop's MAC: the routing actions' new destination.</summary>
    public static readonly MacAddress NextHopMac = MacAddress.Parse("02:00:00:00:00:02");

    private static readonly MacAddress HostMac = MacAddress.Parse("02:00:00:00:00:0a");
    private const uint FirstDestination = 0xC612_0000u; // 198.18.0.0
    private const int DestinationOffset = 30;           // Ethernet 14 + IPv4 destination at 16
    private const int HeaderChecksumOffset = 24;        // Ethernet 14 + IPv4 checksum at 10
    private const int TtlOffset = 22;                   // Ethernet 14 + IPv4 TTL at 8

    private readonly byte[] _template = new byte[FrameLength];
    private readonly ushort _templateChecksum;

    public FlowFrames()
    {
        IpFrames.WriteUdp(_template, HostMac, RouterMac, IPv4Address.Parse("192.0.2.10"), new IPv4Address(FirstDestination),
            1024, 2048, new byte[FrameLength - 42]);
        _templateChecksum = BinaryPrimitives.ReadUInt16BigEndian(_template.AsSpan(HeaderChecksumOffset));
    }

    /// <summary>A new array holding flow <paramref name="flow"/>'s frame (cold path: flow installs, priming).</summary>
    public byte[] FrameFor(int flow)
    {
        var frame = new byte[FrameLength];
        Write(frame, flow);
        return frame;
    }

    /// <summary>
    /// Turns a frame that was written by <see cref="Write"/> (for any flow) and then forwarded, back into flow
    /// <paramref name="flow"/>'s frame: restores the MAC addresses and the TTL the routing actions changed, and writes
    /// the flow's destination with the matching header checksum. Five stores into one cache line; the rest of the
    /// frame is left as it is. <paramref name="frame"/> must hold at least 64 bytes.
    /// </summary>
    public void Restore(Span<byte> frame, int flow)
    {
        // Destination and source MACs: an 8-byte and a 4-byte store.
        BinaryPrimitives.WriteUInt64LittleEndian(frame, BinaryPrimitives.ReadUInt64LittleEndian(_template));
        BinaryPrimitives.WriteUInt32LittleEndian(frame.Slice(8), BinaryPrimitives.ReadUInt32LittleEndian(_template.AsSpan(8)));
        frame[TtlOffset] = _template[TtlOffset];
        uint destination = FirstDestination + (uint)flow;
        BinaryPrimitives.WriteUInt32BigEndian(frame.Slice(DestinationOffset), destination);
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(HeaderChecksumOffset), Checksum.Update(_templateChecksum, FirstDestination, destination));
    }

    /// <summary>
    /// Overwrites the first 64 bytes of <paramref name="frame"/> with flow <paramref name="flow"/>'s frame: TTL 64,
    /// the host's and router's MACs, a valid IPv4 header checksum. The UDP checksum is left as the template's (no
    /// forwarding step reads it). <paramref name="frame"/> must hold at least 64 bytes.
    /// </summary>
    public void Write(Span<byte> frame, int flow)
    {
        _template.AsSpan().CopyTo(frame);
        uint destination = FirstDestination + (uint)flow;
        BinaryPrimitives.WriteUInt32BigEndian(frame.Slice(DestinationOffset), destination);
        BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(HeaderChecksumOffset), Checksum.Update(_templateChecksum, FirstDestination, destination));
    }
}
