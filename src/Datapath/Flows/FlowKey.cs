using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Flows;

/// <summary>
/// The fixed-layout, blittable key of a packet: every header field a flow can match on, at a fixed
/// offset, 112 bytes (14 × 8) so masks and hashes work a 64-bit word at a time. Build one with
/// <see cref="Extract(ReadOnlySpan{byte}, uint, in TunnelMetadata, out FlowKey)"/>. Fields are public, like Open vSwitch's <c>struct flow</c>: a key is data.
/// </summary>
/// <remarks>
/// Shared slots, as in Open vSwitch: IPv4 addresses live in the low 32 bits of
/// <see cref="NetworkSource"/>/<see cref="NetworkDestination"/> (upper bits zero); for ARP those slots
/// hold SPA/TPA, <see cref="NetworkProtocol"/> holds the low byte of the ARP operation and the ARP
/// hardware addresses go to <see cref="ArpSourceHardware"/>/<see cref="ArpTargetHardware"/> (which hold
/// the ND link-layer options for ICMPv6 neighbour messages); for ICMP/ICMPv6, <see cref="TransportSource"/>
/// is the type and <see cref="TransportDestination"/> the code.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public partial struct FlowKey : IEquatable<FlowKey>
{
    /// <summary>The size of a key in bytes.</summary>
    public const int Size = 112;
    /// <summary>The size of a key in 64-bit words.</summary>
    public const int Words = Size / 8;

    /// <summary>The port the packet arrived on.</summary>
    [FieldOffset(0)] public uint InPort;
    /// <summary>The IPv6 flow label (20 bits); 0 for other packets.</summary>
    [FieldOffset(4)] public uint Ipv6FlowLabel;
    /// <summary>The tunnel key the packet arrived with (see <see cref="TunnelMetadata"/>).</summary>
    [FieldOffset(8)] public ulong TunnelId;
    /// <summary>Outer source address of the tunnel the packet arrived through.</summary>
    [FieldOffset(16)] public IPv4Address TunnelSource;
    /// <summary>Outer destination address of the tunnel the packet arrived through.</summary>
    [FieldOffset(20)] public IPv4Address TunnelDestination;
    /// <summary>Ethernet source.</summary>
    [FieldOffset(24)] public MacAddress EthernetSource;
    /// <summary>Ethernet destination.</summary>
    [FieldOffset(32)] public MacAddress EthernetDestination;
    /// <summary>EtherType after VLAN tags (an 802.3 length below 0x0600 is keyed as is).</summary>
    [FieldOffset(40)] public ushort EtherType;
    /// <summary>Inner VLAN TCI with <see cref="EthernetHeader.TagPresent"/> set when a tag was present; 0 when untagged.</summary>
    [FieldOffset(42)] public ushort VlanTci;
    /// <summary>Outer (QinQ service) VLAN TCI with <see cref="EthernetHeader.TagPresent"/> set when present.</summary>
    [FieldOffset(44)] public ushort OuterVlanTci;
    /// <summary>TCP flags (<see cref="Protocols.TcpFlags"/>); 0 for other packets.</summary>
    [FieldOffset(46)] public ushort TcpFlags;
    /// <summary>IPv6 source, IPv4 source (low 32 bits), or ARP SPA.</summary>
    [FieldOffset(48)] public IPv6Address NetworkSource;
    /// <summary>IPv6 destination, IPv4 destination (low 32 bits), or ARP TPA.</summary>
    [FieldOffset(64)] public IPv6Address NetworkDestination;
    /// <summary>IP protocol / final IPv6 next header, or the ARP operation's low byte.</summary>
    [FieldOffset(80)] public byte NetworkProtocol;
    /// <summary>IPv4 TOS / IPv6 traffic class.</summary>
    [FieldOffset(81)] public byte NetworkTos;
    /// <summary>IPv4 TTL / IPv6 hop limit.</summary>
    [FieldOffset(82)] public byte NetworkTtl;
    /// <summary>Fragment state.</summary>
    [FieldOffset(83)] public FlowFragment Fragment;
    /// <summary>TCP/UDP source port, or ICMP type.</summary>
    [FieldOffset(84)] public ushort TransportSource;
    /// <summary>TCP/UDP destination port, or ICMP code.</summary>
    [FieldOffset(86)] public ushort TransportDestination;
    /// <summary>ARP SHA, or an ND source link-layer option.</summary>
    [FieldOffset(88)] public MacAddress ArpSourceHardware;
    /// <summary>ARP THA, or an ND target link-layer option.</summary>
    [FieldOffset(96)] public MacAddress ArpTargetHardware;
    /// <summary>How far extraction got.</summary>
    [FieldOffset(104)] public FlowKeyLayers Layers;
    /// <summary>True when a layer that the headers announced could not be parsed (truncated or invalid).</summary>
    [FieldOffset(105)] public bool Malformed;

    /// <summary>The IPv4 source (valid when <see cref="EtherType"/> is IPv4 or ARP).</summary>
    public readonly IPv4Address Ipv4Source => new((uint)NetworkSource.Lower);

    /// <summary>The IPv4 destination (valid when <see cref="EtherType"/> is IPv4 or ARP).</summary>
    public readonly IPv4Address Ipv4Destination => new((uint)NetworkDestination.Lower);

    /// <summary>The ICMP/ICMPv6 type (valid for ICMP packets).</summary>
    public readonly byte IcmpType => (byte)TransportSource;

    /// <summary>The ICMP/ICMPv6 code (valid for ICMP packets).</summary>
    public readonly byte IcmpCode => (byte)TransportDestination;

    /// <summary>The key as 14 read-only 64-bit words (for masking and hashing); a view, not a copy.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<ulong> AsWords() =>
        MemoryMarshal.Cast<FlowKey, ulong>(new ReadOnlySpan<FlowKey>(in this));

    /// <inheritdoc />
    public readonly bool Equals(FlowKey other) => AsWords().SequenceEqual(other.AsWords());

    /// <inheritdoc />
    public override readonly bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    /// <inheritdoc />
    public override readonly int GetHashCode()
    {
        var hash = new HashCode();
        foreach (ulong word in AsWords()) hash.Add(word);
        return hash.ToHashCode();
    }

    /// <summary>Word-wise equality.</summary>
    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);

    /// <summary>Word-wise inequality.</summary>
    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);
}
