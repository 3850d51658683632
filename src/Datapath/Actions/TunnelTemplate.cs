using System.Buffers.Binary;
using System.Globalization;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Actions;

/// <summary>
/// The outer headers of one tunnel, built once and pushed in front of every packet an
/// <see cref="ActionProgramBuilder.Encapsulate(TunnelTemplate)"/> step encapsulates: Ethernet, IPv4 or IPv6, then
/// UDP + VXLAN (RFC 7348), UDP + Geneve with options (RFC 8926) or GRE with an optional key and checksum
/// (RFC 2784, RFC 2890). Immutable and thread-safe; one template serves any number of programs and workers.
/// </summary>
/// <remarks>
/// <para>The bytes are written by the <see cref="TunnelFrames"/> writers around an empty inner frame, so the outer
/// headers are exactly those writers' (DF set, TTL / hop limit 64). Per packet the step patches only what depends on
/// the inner frame: IP length (and the IPv4 header checksum, incrementally from the template's, RFC 1624), UDP
/// length, UDP source port, and the checksums described on <see cref="ActionProgramBuilder.Encapsulate"/>.</para>
/// <para>Encapsulation needs <see cref="Length"/> bytes of headroom in the packet buffer
/// (<see cref="Buffers.PacketPool.DefaultHeadroom"/> is 128: enough for VXLAN over IPv6, 70 bytes, and Geneve over
/// IPv4 with up to 78 bytes of options).</para>
/// </remarks>
public sealed class TunnelTemplate
{
    private readonly byte[] _headers;
    private readonly string _text;

    private TunnelTemplate(TunnelKind kind, ulong id, byte[] headers, bool ipv6, bool udp, bool greChecksum, string text)
    {
        Kind = kind;
        Id = id;
        _headers = headers;
        _text = text;
        IsIpv6 = ipv6;
        IsUdp = udp;
        HasGreChecksum = greChecksum;
        const int ip = EthernetHeader.Length;
        if (ipv6)
        {
            TransportOffset = ip + Ipv6Header.Length;
            BaseIpLength = BinaryPrimitives.ReadUInt16BigEndian(headers.AsSpan(ip + 4));
            PseudoHeaderSum = Checksum.PseudoHeaderSum(IPv6Address.Read(headers.AsSpan(ip + 8)), IPv6Address.Read(headers.AsSpan(ip + 24)), IpProtocol.Udp, 0);
        }
        else
        {
            TransportOffset = ip + Ipv4Header.MinimumLength;
            BaseIpLength = BinaryPrimitives.ReadUInt16BigEndian(headers.AsSpan(ip + 2));
            BaseIpChecksum = BinaryPrimitives.ReadUInt16BigEndian(headers.AsSpan(ip + 10));
        }
        if (udp)
        {
            BaseUdpLength = BinaryPrimitives.ReadUInt16BigEndian(headers.AsSpan(TransportOffset + 4));
            // Source port and checksum are written per packet; zero them so the template bytes say so.
            headers.AsSpan(TransportOffset, 2).Clear();
            headers.AsSpan(TransportOffset + 6, 2).Clear();
        }
        if (greChecksum) headers.AsSpan(TransportOffset + 4, 2).Clear();
        // Largest inner frame whose outer IP packet still fits the 16-bit length fields.
        MaximumInnerLength = ushort.MaxValue - Math.Max(BaseIpLength, BaseUdpLength);
    }

    /// <summary>The encapsulation: <see cref="TunnelKind.Vxlan"/>, <see cref="TunnelKind.Geneve"/> or <see cref="TunnelKind.Gre"/>.</summary>
    public TunnelKind Kind { get; }

    /// <summary>The tunnel id the headers carry: the VNI, or the GRE key (0 without one).</summary>
    public ulong Id { get; }

    /// <summary>True when the outer network header is IPv6.</summary>
    public bool IsIpv6 { get; }

    /// <summary>Bytes the encapsulation adds in front of the inner frame (and the headroom it needs).</summary>
    public int Length => _headers.Length;

    /// <summary>
    /// The outer headers as built for an empty inner frame, with the UDP source port, UDP checksum and GRE checksum
    /// fields zeroed (they are computed per packet).
    /// </summary>
    public ReadOnlySpan<byte> Headers => _headers;

    internal bool IsUdp { get; }
    internal bool HasGreChecksum { get; }
    /// Offset of the UDP or GRE header.
    internal int TransportOffset { get; }
    /// The IPv4 total length or IPv6 payload length with an empty inner frame.
    internal ushort BaseIpLength { get; }
    /// The IPv4 header checksum with an empty inner frame (the base of the incremental update).
    internal ushort BaseIpChecksum { get; }
    /// The UDP length with an empty inner frame.
    internal ushort BaseUdpLength { get; }
    /// IPv6 outer: the pseudo-header sum without the upper-layer length.
    internal ulong PseudoHeaderSum { get; }
    internal int MaximumInnerLength { get; }

    /// <summary>
    /// VXLAN over UDP 4789 over IPv4 from <paramref name="outerSource"/> to <paramref name="outerDestination"/>.
    /// Throws <see cref="ArgumentOutOfRangeException"/> when <paramref name="vni"/> exceeds 24 bits.
    /// </summary>
    public static TunnelTemplate Vxlan(MacAddress outerSourceMac, MacAddress outerDestinationMac, IPv4Address outerSource, IPv4Address outerDestination, uint vni)
    {
        var headers = new byte[TunnelFrames.VxlanIpv4Overhead];
        TunnelFrames.WriteVxlan(headers, default, outerSourceMac, outerDestinationMac, outerSource, outerDestination, vni, 1);
        return new TunnelTemplate(TunnelKind.Vxlan, vni, headers, ipv6: false, udp: true, greChecksum: false,
            Describe("vxlan", $"vni={vni}", outerSourceMac, outerDestinationMac, "ipv4", outerSource.ToString(), outerDestination.ToString()));
    }

    /// <summary>
    /// VXLAN over UDP 4789 over IPv6 from <paramref name="outerSource"/> to <paramref name="outerDestination"/>.
    /// Throws <see cref="ArgumentOutOfRangeException"/> when <paramref name="vni"/> exceeds 24 bits.
    /// </summary>
    public static TunnelTemplate Vxlan(MacAddress outerSourceMac, MacAddress outerDestinationMac, IPv6Address outerSource, IPv6Address outerDestination, uint vni)
    {
        var headers = new byte[TunnelFrames.VxlanIpv6Overhead];
        TunnelFrames.WriteVxlan(headers, default, outerSourceMac, outerDestinationMac, outerSource, outerDestination, vni, 1);
        return new TunnelTemplate(TunnelKind.Vxlan, vni, headers, ipv6: true, udp: true, greChecksum: false,
            Describe("vxlan", $"vni={vni}", outerSourceMac, outerDestinationMac, "ipv6", outerSource.ToString(), outerDestination.ToString()));
    }

    /// <summary>
    /// Geneve (protocol type 0x6558) over UDP 6081 over IPv4, carrying <paramref name="encodedOptions"/> (TLVs built
    /// with <see cref="GeneveHeader.WriteOption"/>; the C bit is set when one is critical). Throws
    /// <see cref="ArgumentOutOfRangeException"/> when <paramref name="vni"/> exceeds 24 bits or the options are not
    /// well-formed TLVs filling a multiple of 4 bytes up to 252.
    /// </summary>
    public static TunnelTemplate Geneve(MacAddress outerSourceMac, MacAddress outerDestinationMac, IPv4Address outerSource, IPv4Address outerDestination,
        uint vni, ReadOnlySpan<byte> encodedOptions = default)
    {
        var headers = new byte[TunnelFrames.VxlanIpv4Overhead + encodedOptions.Length];
        TunnelFrames.WriteGeneve(headers, default, outerSourceMac, outerDestinationMac, outerSource, outerDestination, vni, encodedOptions, 1);
        string options = encodedOptions.IsEmpty ? "" : ",options=0x" + Convert.ToHexStringLower(encodedOptions);
        return new TunnelTemplate(TunnelKind.Geneve, vni, headers, ipv6: false, udp: true, greChecksum: false,
            Describe("geneve", $"vni={vni}{options}", outerSourceMac, outerDestinationMac, "ipv4", outerSource.ToString(), outerDestination.ToString()));
    }

    /// <summary>
    /// GRE (protocol type 0x6558, transparent Ethernet bridging) over IPv4, with <paramref name="key"/> when given and
    /// a GRE checksum over header and payload when <paramref name="checksum"/> is true (one pass over the packet per
    /// encapsulation). Sequence numbers (RFC 2890 §2.2) need per-tunnel state and are not offered.
    /// </summary>
    public static TunnelTemplate Gre(MacAddress outerSourceMac, MacAddress outerDestinationMac, IPv4Address outerSource, IPv4Address outerDestination,
        uint? key = null, bool checksum = false)
    {
        var headers = new byte[EthernetHeader.Length + Ipv4Header.MinimumLength + GreHeader.GetHeaderLength(checksum, key.HasValue, false)];
        TunnelFrames.WriteGre(headers, default, outerSourceMac, outerDestinationMac, outerSource, outerDestination, key, null, checksum);
        string detail = (key is uint k ? string.Create(CultureInfo.InvariantCulture, $"key={k}") : "key=none") + (checksum ? ",csum" : "");
        return new TunnelTemplate(TunnelKind.Gre, key ?? 0, headers, ipv6: false, udp: false, greChecksum: checksum,
            Describe("gre", detail, outerSourceMac, outerDestinationMac, "ipv4", outerSource.ToString(), outerDestination.ToString()));
    }

    /// <summary>The template in action syntax, e.g. <c>vxlan(vni=5001,eth_src=…,eth_dst=…,ipv4_src=…,ipv4_dst=…)</c>.</summary>
    public override string ToString() => _text;

    private static string Describe(string kind, string detail, MacAddress sourceMac, MacAddress destinationMac, string ip, string source, string destination) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{kind}({detail},eth_src={sourceMac},eth_dst={destinationMac},{ip}_src={source},{ip}_dst={destination})");
}
