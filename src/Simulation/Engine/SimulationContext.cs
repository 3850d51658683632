using System.Runtime.InteropServices;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.Engine;

/// <summary>
/// One packet's walk through the virtual topology. Devices see the packet only through this object: every
/// <c>Read…</c> call records the key bytes it looked at (they become the flow's <see cref="FlowMask"/>), every
/// <c>Set…</c> call changes the packet as later devices see it and joins the flow's <see cref="ActionProgram"/>.
/// Reads are explicit method calls, never properties, so a debugger, a log line or <see cref="ToString"/> cannot
/// widen a mask by looking. A field a device wrote is no longer a packet field: reading it afterwards records
/// nothing. Not thread-safe: one context serves one simulation at a time (contexts are pooled per miss).
/// </summary>
public sealed class SimulationContext
{
    private FlowKey _original;
    private FlowKey _current;
    private FlowKey _readMask;
    private FlowKey _writtenMask;
    private readonly List<ulong> _tags = [];
    private readonly List<Modification> _modifications = [];
    private readonly List<(ulong Port, byte[] Frame)> _emitted = [];
    private int _ttlDecrements;
    private byte[] _frame = [];

    // Scratch lists the engine reuses per simulation (the context is pooled, so they are too).
    internal List<uint> Outputs { get; } = [];
    internal List<NetFabric.Datapath.Pipeline.EmittedPacket> EmittedPackets { get; } = [];
    private int _frameLength;
    private bool _ttlExpiry;

    /// <summary>
    /// Starts simulating a packet whose key is <paramref name="key"/>. <paramref name="ttlExpiry"/> is true when the
    /// datapath sent the packet up because a cached flow's TTL decrement would expire it: only then does
    /// <see cref="DecrementTtl"/> look at the TTL (see there).
    /// </summary>
    public void Reset(in FlowKey key, bool ttlExpiry = false) => Reset(key, default, ttlExpiry);

    /// <summary>
    /// Starts simulating a packet whose key is <paramref name="key"/> and whose bytes are <paramref name="frame"/>
    /// (copied, so devices that answer the packet — an ICMP error quoting it, an echo reply — can use it).
    /// </summary>
    public void Reset(in FlowKey key, ReadOnlySpan<byte> frame, bool ttlExpiry = false)
    {
        if (_frame.Length < frame.Length) _frame = new byte[Math.Max(frame.Length, 2048)];
        frame.CopyTo(_frame);
        _frameLength = frame.Length;
        _ttlExpiry = ttlExpiry;
        _original = key;
        _current = key;
        _readMask = default;
        _writtenMask = default;
        _tags.Clear();
        _modifications.Clear();
        _emitted.Clear();
        Outputs.Clear();
        EmittedPackets.Clear();
        _ttlDecrements = 0;
    }

    /// <summary>
    /// Asks for a generated packet (an ARP request or reply, an ICMP error, an echo reply) to leave device port
    /// <paramref name="port"/>: out of the host interface when the port is exterior, into the peer device when it
    /// is interior (the engine simulates it from there). The frame is copied.
    /// </summary>
    public void Emit(ulong port, ReadOnlySpan<byte> frame) => _emitted.Add((port, frame.ToArray()));

    /// <summary>The packets devices asked to emit, in order.</summary>
    public IReadOnlyList<(ulong Port, byte[] Frame)> Emitted => _emitted;

    /// <summary>
    /// The packet's bytes as received (empty when the engine was given a key only). For devices that answer the
    /// packet itself, such as an ICMP error quoting it; a decision must not depend on bytes it did not
    /// <c>Read…</c>, or the cached flow would be wrong for other packets — which is why decisions that emit such
    /// answers are not cached.
    /// </summary>
    public ReadOnlySpan<byte> OriginalFrame => _frame.AsSpan(0, _frameLength);

    /// <summary>The key as received (for traces; reading it here records nothing).</summary>
    public FlowKey OriginalKey => _original;

    /// <summary>The key as modified so far (for traces; reading it here records nothing).</summary>
    public FlowKey CurrentKey => _current;

    /// <summary>The mask of every byte read so far from the packet as received.</summary>
    public FlowMask Mask => new(_readMask);

    /// <summary>The tags of every device and state entry the simulation relied on.</summary>
    public IReadOnlyList<ulong> Tags => _tags;

    /// <summary>How many router hops decremented the TTL / hop limit.</summary>
    public int TtlDecrements => _ttlDecrements;

    /// <summary>Records that the decision relies on whatever <paramref name="tag"/> identifies (a device, a MAC entry, a route).</summary>
    public void AddTag(ulong tag)
    {
        if (!_tags.Contains(tag)) _tags.Add(tag);
    }

    /// <summary>Records a read of <paramref name="field"/> without returning it (e.g. a device that branches on presence only).</summary>
    public void Read(FlowField field)
    {
        var (offset, size) = FlowFieldLayout.Of(field);
        var read = Bytes(ref _readMask).Slice(offset, size);
        var written = Bytes(ref _writtenMask).Slice(offset, size);
        for (int i = 0; i < size; i++) read[i] |= (byte)~written[i];
    }

    /// <summary>Reads the ingress datapath port.</summary>
    public uint ReadInPort() { Read(FlowField.InPort); return _current.InPort; }

    /// <summary>Reads the tunnel id the packet arrived with.</summary>
    public ulong ReadTunnelId() { Read(FlowField.TunnelId); return _current.TunnelId; }

    /// <summary>Reads the Ethernet source.</summary>
    public MacAddress ReadEthernetSource() { Read(FlowField.EthernetSource); return _current.EthernetSource; }

    /// <summary>Reads the Ethernet destination.</summary>
    public MacAddress ReadEthernetDestination() { Read(FlowField.EthernetDestination); return _current.EthernetDestination; }

    /// <summary>Reads the EtherType.</summary>
    public ushort ReadEtherType() { Read(FlowField.EtherType); return _current.EtherType; }

    /// <summary>Reads the VLAN id (0 when untagged); the whole TCI is matched.</summary>
    public int ReadVlanId() { Read(FlowField.VlanTci); return _current.VlanTci & 0x0FFF; }

    /// <summary>Reads the IP protocol (or the ARP operation for ARP).</summary>
    public byte ReadNetworkProtocol() { Read(FlowField.NetworkProtocol); return _current.NetworkProtocol; }

    /// <summary>Reads the IPv4 source (or ARP SPA).</summary>
    public IPv4Address ReadIpv4Source() { Read(FlowField.NetworkSource); return _current.Ipv4Source; }

    /// <summary>Reads the IPv4 destination (or ARP TPA).</summary>
    public IPv4Address ReadIpv4Destination() { Read(FlowField.NetworkDestination); return _current.Ipv4Destination; }

    /// <summary>
    /// Reads only the leading <paramref name="bits"/> of the IPv4 destination, as a longest-prefix match that
    /// decided on a /<paramref name="bits"/> route does: the flow then covers the whole prefix.
    /// </summary>
    public IPv4Address ReadIpv4DestinationPrefix(int bits) => ReadIpv4Prefix(ref _readMask.NetworkDestination, _writtenMask.NetworkDestination, _current.Ipv4Destination, bits);

    /// <summary>Reads only the leading <paramref name="bits"/> of the IPv4 source (source-prefix routing).</summary>
    public IPv4Address ReadIpv4SourcePrefix(int bits) => ReadIpv4Prefix(ref _readMask.NetworkSource, _writtenMask.NetworkSource, _current.Ipv4Source, bits);

    /// <summary>Reads the IPv6 source.</summary>
    public IPv6Address ReadIpv6Source() { Read(FlowField.NetworkSource); return _current.NetworkSource; }

    /// <summary>Reads the IPv6 destination.</summary>
    public IPv6Address ReadIpv6Destination() { Read(FlowField.NetworkDestination); return _current.NetworkDestination; }

    /// <summary>Reads the IP TTL / hop limit.</summary>
    public byte ReadTtl() { Read(FlowField.NetworkTtl); return _current.NetworkTtl; }

    /// <summary>Reads the fragment state.</summary>
    public FlowFragment ReadFragment() { Read(FlowField.Fragment); return _current.Fragment; }

    /// <summary>Reads the TCP/UDP source port (ICMP type).</summary>
    public ushort ReadTransportSource() { Read(FlowField.TransportSource); return _current.TransportSource; }

    /// <summary>Reads the TCP/UDP destination port (ICMP code).</summary>
    public ushort ReadTransportDestination() { Read(FlowField.TransportDestination); return _current.TransportDestination; }

    /// <summary>Reads the TCP flags.</summary>
    public TcpFlags ReadTcpFlags() { Read(FlowField.TcpFlags); return (TcpFlags)_current.TcpFlags; }

    /// <summary>Reads the ARP sender hardware address.</summary>
    public MacAddress ReadArpSourceHardware() { Read(FlowField.ArpSourceHardware); return _current.ArpSourceHardware; }

    /// <summary>Reads the ARP target hardware address.</summary>
    public MacAddress ReadArpTargetHardware() { Read(FlowField.ArpTargetHardware); return _current.ArpTargetHardware; }

    /// <summary>Sets the Ethernet source for every later device and for the flow's actions.</summary>
    public void SetEthernetSource(MacAddress address)
    {
        _current.EthernetSource = address;
        Written(FlowField.EthernetSource);
        Record(FlowField.EthernetSource, address.Value, 0);
    }

    /// <summary>Sets the Ethernet destination.</summary>
    public void SetEthernetDestination(MacAddress address)
    {
        _current.EthernetDestination = address;
        Written(FlowField.EthernetDestination);
        Record(FlowField.EthernetDestination, address.Value, 0);
    }

    /// <summary>Sets the IPv4 source (NAT).</summary>
    public void SetIpv4Source(IPv4Address address)
    {
        _current.NetworkSource = new IPv6Address(0, address.Value);
        Written(FlowField.NetworkSource);
        Record(FlowField.NetworkSource, address.Value, 0);
    }

    /// <summary>Sets the IPv4 destination (NAT).</summary>
    public void SetIpv4Destination(IPv4Address address)
    {
        _current.NetworkDestination = new IPv6Address(0, address.Value);
        Written(FlowField.NetworkDestination);
        Record(FlowField.NetworkDestination, address.Value, 0);
    }

    /// <summary>Sets the TCP/UDP source port.</summary>
    public void SetTransportSource(ushort port)
    {
        _current.TransportSource = port;
        Written(FlowField.TransportSource);
        Record(FlowField.TransportSource, port, 0);
    }

    /// <summary>Sets the TCP/UDP destination port.</summary>
    public void SetTransportDestination(ushort port)
    {
        _current.TransportDestination = port;
        Written(FlowField.TransportDestination);
        Record(FlowField.TransportDestination, port, 0);
    }

    /// <summary>
    /// Decrements the TTL / hop limit once, as a router hop does, and returns true; returns false (changing nothing)
    /// when the packet's TTL would expire at this hop. On an ordinary miss the TTL is not looked at: the expiry check
    /// happens when the flow's action runs (the datapath sends a packet whose TTL would expire back to the resolver),
    /// so decisions do not depend on the TTL and flows do not match on it. When the resolver is answering that
    /// expiry, the check happens here and the device answers with ICMP time exceeded.
    /// </summary>
    public bool DecrementTtl()
    {
        if (_ttlExpiry && _current.NetworkTtl <= 1) return false;
        _ttlDecrements++;
        if (_current.NetworkTtl > 0) _current.NetworkTtl--;
        return true;
    }

    /// <summary>
    /// Compiles the modifications, in a canonical order (TTL decrement first) and with later writes of a field
    /// replacing earlier ones, into an action program ending with outputs to <paramref name="ports"/> (a drop when empty).
    /// </summary>
    public ActionProgram BuildActions(ReadOnlySpan<uint> ports)
    {
        if (ports.IsEmpty) return ActionProgram.Drop;
        var builder = ActionProgram.CreateBuilder();
        // The TTL first, all hops at once: a packet that would expire then reaches the resolver unmodified, and
        // the simulation of its expiry finds the router where it really runs out.
        if (_ttlDecrements > 0) builder.DecrementTtl(Math.Min(_ttlDecrements, 255));
        foreach (var field in CanonicalOrder)
        {
            int last = -1;
            for (int i = _modifications.Count - 1; i >= 0; i--)
                if (_modifications[i].Field == field)
                {
                    last = i;
                    break;
                }
            if (last < 0) continue;
            var value = _modifications[last].Value;
            switch (field)
            {
                case FlowField.EthernetSource: builder.SetEthernetSource(new MacAddress(value)); break;
                case FlowField.EthernetDestination: builder.SetEthernetDestination(new MacAddress(value)); break;
                case FlowField.NetworkSource: builder.SetIpv4Source(new IPv4Address((uint)value)); break;
                case FlowField.NetworkDestination: builder.SetIpv4Destination(new IPv4Address((uint)value)); break;
                case FlowField.TransportSource: builder.SetTransportSource((ushort)value); break;
                case FlowField.TransportDestination: builder.SetTransportDestination((ushort)value); break;
            }
        }
        foreach (uint port in ports) builder.Output(port);
        return builder.Build();
    }

    /// <summary>The key as modified so far and the mask, for diagnostics. Records nothing.</summary>
    public override string ToString() => $"{_current} (mask 0x{Mask.UsedWords:x4}, {Mask.BitCount} bits, {_tags.Count} tags)";

    private static readonly FlowField[] CanonicalOrder =
    [
        FlowField.EthernetSource, FlowField.EthernetDestination, FlowField.NetworkSource, FlowField.NetworkDestination,
        FlowField.TransportSource, FlowField.TransportDestination,
    ];

    private static IPv4Address ReadIpv4Prefix(ref IPv6Address mask, IPv6Address written, IPv4Address value, int bits)
    {
        if ((uint)bits > 32) throw new ArgumentOutOfRangeException(nameof(bits), "An IPv4 prefix is 0 to 32 bits long.");
        uint prefix = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
        mask = new IPv6Address(mask.Upper, mask.Lower | (prefix & ~(uint)written.Lower));
        return value;
    }

    private void Written(FlowField field)
    {
        var (offset, size) = FlowFieldLayout.Of(field);
        Bytes(ref _writtenMask).Slice(offset, size).Fill(0xFF);
    }

    private void Record(FlowField field, ulong value, ulong value2) => _modifications.Add(new Modification(field, value, value2));

    private static Span<byte> Bytes(ref FlowKey key) => MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref key, 1));

    private readonly record struct Modification(FlowField Field, ulong Value, ulong Value2);
}
