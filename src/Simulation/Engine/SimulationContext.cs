using System.Runtime.CompilerServices;
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
    private readonly List<long> _tagsReliedAt = [];
    private readonly List<Modification> _modifications = [];
    private readonly List<(ulong Port, byte[] Frame)> _emitted = [];
    private int _ttlDecrements;
    private byte[] _frame = [];

    // Exterior outputs reached so far, each with the changes its branch made (a range of _outputChanges).
    private readonly List<Egress> _outputs = [];
    private readonly ActionProgramBuilder _builder = ActionProgram.CreateBuilder();
    private readonly List<Modification> _outputChanges = [];

    // Scratch list the engine reuses per simulation (the context is pooled, so it is too).
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
        _tagsReliedAt.Clear();
        IsTracing = false;
        _modifications.Clear();
        _emitted.Clear();
        _outputs.Clear();
        _outputChanges.Clear();
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

    /// <summary>
    /// True while the simulation is traced (<see cref="DecisionEngine.Trace"/>): only then is a verdict's reason
    /// read. Devices build reason text with <see cref="Explain"/>, which formats nothing otherwise.
    /// </summary>
    public bool IsTracing { get; internal set; }

    /// <summary>
    /// The reason text for a verdict, e.g. <c>DeviceVerdict.Forward(port, context.Explain($"{mac} learned on port {port}"))</c>:
    /// formatted while tracing, the empty string (and no allocation) otherwise.
    /// </summary>
    public string Explain([InterpolatedStringHandlerArgument("")] ref ReasonHandler reason) => reason.ToStringAndClear();

    /// <summary>Records that the decision relies on whatever <paramref name="tag"/> identifies (a device, a MAC entry, a route).</summary>
    public void AddTag(ulong tag)
    {
        if (_tags.Contains(tag)) return;
        _tags.Add(tag);
        _tagsReliedAt.Add(Invalidations?.Current ?? 0);
    }

    /// <summary>The tags as a new array (what a flow decision keeps).</summary>
    internal ulong[] TagArray() => _tags.ToArray();

    /// <summary>The engine's invalidation log, to note when each tag was relied on (see <see cref="TagsReliedAt"/>).</summary>
    internal Invalidation.InvalidationLog? Invalidations { get; set; }

    /// <summary>For each of <see cref="Tags"/>, the invalidation log's position when the simulation first relied on it.</summary>
    internal IReadOnlyList<long> TagsReliedAt => _tagsReliedAt;

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

    /// <summary>Reads whether the frame carries a VLAN tag (a priority tag, VLAN 0, counts); the whole TCI is matched.</summary>
    public bool ReadVlanTagged() { Read(FlowField.VlanTci); return (_current.VlanTci & EthernetHeader.TagPresent) != 0; }

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

    /// <summary>
    /// Sets the VLAN the packet carries from here on: <paramref name="vlan"/> 1..4094 tags it (keeping the priority
    /// bits of a tag it arrived with), 0 leaves it untagged. Compiles to push_vlan, set_vlan or pop_vlan against
    /// the tag the packet arrived with — which is why this also reads the arriving tag.
    /// </summary>
    public void SetVlanId(int vlan)
    {
        if ((uint)vlan > 4094) throw new ArgumentOutOfRangeException(nameof(vlan), vlan, "A VLAN id is 1 to 4094 (0: untagged).");
        Read(FlowField.VlanTci);
        ushort priority = (ushort)(_original.VlanTci & 0xE000);
        _current.VlanTci = vlan == 0 ? (ushort)0 : (ushort)(priority | EthernetHeader.TagPresent | vlan);
        Written(FlowField.VlanTci);
        Record(FlowField.VlanTci, _current.VlanTci, 0);
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

    /// <summary>The state a branch of the walk starts from: where a flood forks, every branch starts alike.</summary>
    internal readonly struct Fork(in FlowKey current, in FlowKey written, int modifications, int ttlDecrements)
    {
        public readonly FlowKey Current = current;
        public readonly FlowKey Written = written;
        public readonly int Modifications = modifications;
        public readonly int TtlDecrements = ttlDecrements;
    }

    /// <summary>Saves the packet as modified so far, before one branch of a flood is walked.</summary>
    internal Fork Save() => new(_current, _writtenMask, _modifications.Count, _ttlDecrements);

    /// <summary>
    /// Undoes what a branch changed, so the next branch starts from <paramref name="fork"/>. What the branch read
    /// stays in the mask and what it relied on stays in the tags: the flow must match, and be invalidated, for
    /// every branch it takes.
    /// </summary>
    internal void Restore(in Fork fork)
    {
        _current = fork.Current;
        _writtenMask = fork.Written;
        _modifications.RemoveRange(fork.Modifications, _modifications.Count - fork.Modifications);
        _ttlDecrements = fork.TtlDecrements;
    }

    /// <summary>Exterior outputs reached so far.</summary>
    internal int OutputCount => _outputs.Count;

    /// <summary>The datapath ports reached so far, in order.</summary>
    internal IEnumerable<uint> OutputPorts => _outputs.Select(o => o.Port);

    /// <summary>
    /// Records that the packet, as modified on the current branch, leaves datapath port <paramref name="port"/>.
    /// A port reached twice keeps its first copy.
    /// </summary>
    internal void AddOutput(uint port)
    {
        foreach (var output in _outputs)
            if (output.Port == port) return;
        // Branches that changed nothing share one (empty) range; so do consecutive outputs of one branch.
        if (_outputs.Count > 0 && SameChanges(_outputs[^1]))
        {
            _outputs.Add(_outputs[^1] with { Port = port });
            return;
        }
        int start = _outputChanges.Count;
        _outputChanges.AddRange(_modifications);
        _outputs.Add(new Egress(port, start, _modifications.Count, _ttlDecrements));
    }

    private bool SameChanges(Egress output)
    {
        if (output.TtlDecrements != _ttlDecrements || output.Count != _modifications.Count) return false;
        for (int i = 0; i < output.Count; i++)
            if (_outputChanges[output.Start + i] != _modifications[i]) return false;
        return true;
    }

    /// <summary>
    /// Compiles the outputs recorded with <see cref="AddOutput"/> into the flow's program (a drop when there are
    /// none). When every output carries the same changes this is the plain program — changes, then outputs. When
    /// branches differ (a flood where one copy crosses a router, or leaves tagged), outputs that need no change go
    /// first, each differently changed group runs in a <c>clone</c> on its own copy, and the last group rewrites
    /// the original.
    /// </summary>
    internal ActionProgram BuildActions()
    {
        if (_outputs.Count == 0) return ActionProgram.Drop;
        // The common case — one output, or a flood whose copies all leave alike — builds the plain program
        // with the context's reused builder.
        bool uniform = true;
        for (int i = 1; i < _outputs.Count && uniform; i++) uniform = Equivalent(_outputs[0], _outputs[i]);
        if (uniform)
        {
            var plain = _builder.Clear();
            var first = _outputs[0];
            AddChanges(plain, CollectionsMarshal.AsSpan(_outputChanges).Slice(first.Start, first.Count), first.TtlDecrements);
            foreach (var output in _outputs) plain.Output(output.Port);
            return plain.Build();
        }
        var groups = new List<List<Egress>>();
        foreach (var output in _outputs)
        {
            var group = groups.Find(g => Equivalent(g[0], output));
            if (group is null) groups.Add([output]);
            else group.Add(output);
        }
        // Unchanged copies first: later groups' changes must not reach them.
        groups.Sort((a, b) => (IsPlain(b[0]) ? 1 : 0) - (IsPlain(a[0]) ? 1 : 0));
        var builder = ActionProgram.CreateBuilder();
        for (int i = 0; i < groups.Count; i++)
        {
            if (IsPlain(groups[i][0]) || i == groups.Count - 1) Compile(builder, groups[i]);
            else builder.Clone(Compile(ActionProgram.CreateBuilder(), groups[i]).Build());
        }
        return builder.Build();
    }

    private static bool IsPlain(Egress output) => output.Count == 0 && output.TtlDecrements == 0;

    // Same TTL decrements and the same final value for every changed field.
    private bool Equivalent(Egress a, Egress b)
    {
        if (a.TtlDecrements != b.TtlDecrements) return false;
        foreach (var field in CanonicalOrder)
            if (Last(a, field) != Last(b, field)) return false;
        return true;
    }

    private Modification? Last(Egress output, FlowField field)
    {
        for (int i = output.Start + output.Count - 1; i >= output.Start; i--)
            if (_outputChanges[i].Field == field) return _outputChanges[i];
        return null;
    }

    private ActionProgramBuilder Compile(ActionProgramBuilder builder, List<Egress> group)
    {
        var first = group[0];
        AddChanges(builder, CollectionsMarshal.AsSpan(_outputChanges).Slice(first.Start, first.Count), first.TtlDecrements);
        foreach (var output in group) builder.Output(output.Port);
        return builder;
    }

    /// <summary>
    /// Compiles the modifications, in a canonical order (TTL decrement first) and with later writes of a field
    /// replacing earlier ones, into an action program ending with outputs to <paramref name="ports"/> (a drop when empty).
    /// </summary>
    public ActionProgram BuildActions(ReadOnlySpan<uint> ports)
    {
        if (ports.IsEmpty) return ActionProgram.Drop;
        var builder = ActionProgram.CreateBuilder();
        AddChanges(builder, CollectionsMarshal.AsSpan(_modifications), _ttlDecrements);
        foreach (uint port in ports) builder.Output(port);
        return builder.Build();
    }

    private void AddChanges(ActionProgramBuilder builder, ReadOnlySpan<Modification> changes, int ttlDecrements)
    {
        // The TTL first, all hops at once: a packet that would expire then reaches the resolver unmodified, and
        // the simulation of its expiry finds the router where it really runs out.
        if (ttlDecrements > 0) builder.DecrementTtl(Math.Min(ttlDecrements, 255));
        foreach (var field in CanonicalOrder)
        {
            int last = -1;
            for (int i = changes.Length - 1; i >= 0; i--)
                if (changes[i].Field == field)
                {
                    last = i;
                    break;
                }
            if (last < 0) continue;
            var value = changes[last].Value;
            switch (field)
            {
                case FlowField.EthernetSource: builder.SetEthernetSource(new MacAddress(value)); break;
                case FlowField.EthernetDestination: builder.SetEthernetDestination(new MacAddress(value)); break;
                case FlowField.NetworkSource: builder.SetIpv4Source(new IPv4Address((uint)value)); break;
                case FlowField.NetworkDestination: builder.SetIpv4Destination(new IPv4Address((uint)value)); break;
                case FlowField.TransportSource: builder.SetTransportSource((ushort)value); break;
                case FlowField.TransportDestination: builder.SetTransportDestination((ushort)value); break;
                case FlowField.VlanTci: AddVlanAction(builder, _original.VlanTci, (ushort)value); break;
            }
        }
    }

    /// <summary>The key as modified so far and the mask, for diagnostics. Records nothing.</summary>
    public override string ToString() => $"{_current} (mask 0x{Mask.UsedWords:x4}, {Mask.BitCount} bits, {_tags.Count} tags)";

    private static readonly FlowField[] CanonicalOrder =
    [
        FlowField.EthernetSource, FlowField.EthernetDestination, FlowField.NetworkSource, FlowField.NetworkDestination,
        FlowField.TransportSource, FlowField.TransportDestination, FlowField.VlanTci,
    ];

    // The key marks a present tag with EthernetHeader.TagPresent (the DEI bit's place); the wire TCI lacks it.
    private static void AddVlanAction(ActionProgramBuilder builder, ushort arrived, ushort leaves)
    {
        if (arrived == leaves) return;
        const ushort wire = unchecked((ushort)~EthernetHeader.TagPresent);
        if (leaves == 0) builder.PopVlan();
        else if (arrived == 0) builder.PushVlan((ushort)(leaves & wire));
        else builder.SetVlan((ushort)(leaves & wire));
    }

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

    private readonly record struct Egress(uint Port, int Start, int Count, int TtlDecrements);
}
