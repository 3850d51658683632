using NetFabric.Datapath.Actions.Internal;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Actions;

/// <summary>
/// Builds an <see cref="ActionProgram"/>: actions apply in the order they are added, each to the packet as the
/// previous ones left it. Every method returns the builder (fluent). Not thread-safe; building allocates, executing
/// the result does not. The builder may be reused after <see cref="Build"/> (the program copies what it needs).
/// </summary>
/// <remarks>
/// At execution, an action that finds the packet lacking the layer it needs (set an IPv4 field on a non-IPv4 frame,
/// pop a VLAN tag from an untagged one, a truncated header) drops the packet with <see cref="DropReason.Malformed"/>
/// and ends the program; nothing throws. Set-field actions keep every checksum correct with RFC 1624 incremental
/// updates.
/// </remarks>
public sealed class ActionProgramBuilder
{
    private readonly List<ActionStep> _steps = [];
    private readonly List<TunnelTemplate> _templates = [];
    private readonly List<ActionProgram> _branches = [];

    /// <summary>Starts an empty program (same as <see cref="ActionProgram.CreateBuilder"/>).</summary>
    public ActionProgramBuilder()
    {
    }

    /// <summary>Sets the Ethernet source address.</summary>
    public ActionProgramBuilder SetEthernetSource(MacAddress address) => Add(new(ActionKind.SetEthernetSource, address.Value));

    /// <summary>Sets the Ethernet destination address.</summary>
    public ActionProgramBuilder SetEthernetDestination(MacAddress address) => Add(new(ActionKind.SetEthernetDestination, address.Value));

    /// <summary>
    /// Pushes a new outermost VLAN tag with <paramref name="tci"/> (priority, DEI, 12-bit VLAN id) and
    /// <paramref name="tpid"/> (0x8100 for an 802.1Q C-tag, 0x88A8 for an 802.1ad S-tag). Needs 4 bytes of headroom
    /// (else <see cref="DropReason.NoHeadroom"/>). Throws <see cref="ArgumentOutOfRangeException"/> for another TPID.
    /// </summary>
    public ActionProgramBuilder PushVlan(ushort tci, ushort tpid = EtherType.Vlan)
    {
        if (tpid is not (EtherType.Vlan or EtherType.QinQ))
            throw new ArgumentOutOfRangeException(nameof(tpid), tpid, "A VLAN tag's TPID is 0x8100 (802.1Q) or 0x88A8 (802.1ad).");
        return Add(new(ActionKind.PushVlan, ((ulong)tpid << 16) | tci));
    }

    /// <summary>Removes the outermost VLAN tag (an untagged frame is dropped as malformed).</summary>
    public ActionProgramBuilder PopVlan() => Add(new(ActionKind.PopVlan));

    /// <summary>Sets the TCI of the outermost VLAN tag (an untagged frame is dropped as malformed).</summary>
    public ActionProgramBuilder SetVlan(ushort tci) => Add(new(ActionKind.SetVlan, tci));

    /// <summary>Sets the IPv4 source address, updating the IPv4 header checksum and the TCP/UDP checksum (pseudo-header).</summary>
    public ActionProgramBuilder SetIpv4Source(IPv4Address address) => Add(new(ActionKind.SetIpv4Source, address.Value));

    /// <summary>Sets the IPv4 destination address, updating the IPv4 header checksum and the TCP/UDP checksum (pseudo-header).</summary>
    public ActionProgramBuilder SetIpv4Destination(IPv4Address address) => Add(new(ActionKind.SetIpv4Destination, address.Value));

    /// <summary>Sets the IPv6 source address, updating the TCP/UDP/ICMPv6 checksum (pseudo-header).</summary>
    public ActionProgramBuilder SetIpv6Source(IPv6Address address) => Add(new(ActionKind.SetIpv6Source, address.Upper, address.Lower));

    /// <summary>
    /// Sets the IPv6 destination address, updating the TCP/UDP/ICMPv6 checksum (pseudo-header). A packet with a
    /// routing header is treated like any other (see <see cref="ActionProgram"/> remarks).
    /// </summary>
    public ActionProgramBuilder SetIpv6Destination(IPv6Address address) => Add(new(ActionKind.SetIpv6Destination, address.Upper, address.Lower));

    /// <summary>Sets the TCP or UDP source port, updating its checksum (a packet without a TCP/UDP header is dropped as malformed).</summary>
    public ActionProgramBuilder SetTransportSource(ushort port) => Add(new(ActionKind.SetTransportSource, port));

    /// <summary>Sets the TCP or UDP destination port, updating its checksum (a packet without a TCP/UDP header is dropped as malformed).</summary>
    public ActionProgramBuilder SetTransportDestination(ushort port) => Add(new(ActionKind.SetTransportDestination, port));

    /// <summary>
    /// Decrements the IPv4 TTL (updating the header checksum) or the IPv6 hop limit by <paramref name="hops"/> (the
    /// router hops a flow crosses, 1..255). A packet whose TTL is not above <paramref name="hops"/> is not modified:
    /// it goes to the resolver with <see cref="ResolverReason.TtlExpired"/> and the program stops. Put it before
    /// other rewrites so an expiring packet reaches the resolver as it arrived.
    /// </summary>
    public ActionProgramBuilder DecrementTtl(int hops = 1)
    {
        if (hops is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(hops), "A flow decrements the TTL by 1 to 255 hops.");
        return Add(new(ActionKind.DecrementTtl, (ulong)hops));
    }

    /// <summary>
    /// Pushes <paramref name="template"/>'s outer headers in front of the frame. Per packet: IP length (and IPv4
    /// header checksum, incrementally), UDP length and source port are patched. The UDP source port is derived from
    /// <see cref="Buffers.PacketBuffer.FlowHash"/> when it is non-zero (cheap: the worker already hashed the flow),
    /// else it is <see cref="TunnelFrames.EntropySourcePort"/> of the inner frame; either way it lies in 49152..65535
    /// and is stable per flow (RFC 7348 §5). The UDP checksum is 0 over IPv4 (RFC 7348 §5 and RFC 8926 §3.3 allow
    /// it; it spares a pass over the packet) and computed over IPv6 (RFC 8200 §8.1 requires it). A GRE checksum is
    /// computed when the template asks for one. Needs <see cref="TunnelTemplate.Length"/> bytes of headroom (else
    /// <see cref="DropReason.NoHeadroom"/>); an inner frame shorter than an Ethernet header or too long for the outer
    /// length fields is dropped as malformed. Throws <see cref="ArgumentNullException"/> for a null template.
    /// </summary>
    public ActionProgramBuilder Encapsulate(TunnelTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        int index = _templates.IndexOf(template);
        if (index < 0)
        {
            index = _templates.Count;
            _templates.Add(template);
        }
        return Add(new(ActionKind.Encapsulate, (ulong)index));
    }

    /// <summary>
    /// Removes a VXLAN, Geneve or GRE encapsulation (as <see cref="TunnelFrames.TryDecapsulate(ReadOnlySpan{byte}, out TunnelKind, out Flows.TunnelMetadata, out int, out int)"/>
    /// recognises it), leaving the inner frame, and sets <see cref="Buffers.PacketBuffer.Tunnel"/> to the tunnel's
    /// metadata. A frame that is not such a tunnel frame is dropped as malformed. Checksums are not verified.
    /// </summary>
    public ActionProgramBuilder Decapsulate() => Add(new(ActionKind.Decapsulate));

    /// <summary>
    /// Sends the packet to datapath port <paramref name="port"/>. Every output but the last sends a copy
    /// (<see cref="Buffers.PacketPool.TryClone"/>) and the program continues with the original; when no buffer is free
    /// for the copy, that copy is counted as a <see cref="DropReason.NoBuffer"/> drop and the original continues.
    /// </summary>
    public ActionProgramBuilder Output(uint port) => Add(new(ActionKind.Output, port));

    /// <summary>
    /// Runs <paramref name="branch"/> on a copy of the packet as it is at this point (<see cref="Buffers.PacketPool.TryClone"/>)
    /// and continues with the original, unchanged by anything the branch does: the way one flow sends differently
    /// rewritten copies out of different ports (a flood whose branches cross a router or change VLAN tagging).
    /// Like an output, it hands the packet on: when it is the program's last action it runs on the original
    /// instead of a copy. A drop branch adds nothing. When no buffer is free for the copy, the copy is counted as
    /// a <see cref="DropReason.NoBuffer"/> drop. Throws <see cref="ArgumentNullException"/> for a null branch.
    /// </summary>
    public ActionProgramBuilder Clone(ActionProgram branch)
    {
        ArgumentNullException.ThrowIfNull(branch);
        if (branch.IsDrop) return this;
        _branches.Add(branch);
        return Add(new(ActionKind.Clone, (ulong)(_branches.Count - 1)));
    }

    /// <summary>
    /// Hands the packet to the flow resolver with <see cref="ResolverReason.Explicit"/>. It ends the program: it must
    /// be the last action (outputs before it send copies).
    /// </summary>
    public ActionProgramBuilder ToResolver() => Add(new(ActionKind.ToResolver));

    /// <summary>
    /// Compiles the program. A program with no <see cref="Output"/> and no <see cref="ToResolver"/> drops every packet
    /// (<see cref="DropReason.Action"/>): its other actions could never take effect, so the result is
    /// <see cref="ActionProgram.Drop"/>. Throws <see cref="ArgumentException"/>, naming the step (1-based) and its
    /// action, when an action follows <see cref="ToResolver"/> or follows the last output (it would never run).
    /// </summary>
    public ActionProgram Build()
    {
        int last = -1;
        for (int i = 0; i < _steps.Count; i++)
            if (_steps[i].Kind is ActionKind.Output or ActionKind.ToResolver or ActionKind.Clone) last = i;
        if (last < 0) return ActionProgram.Drop;

        var templates = _templates.ToArray();
        var branches = _branches.ToArray();
        var steps = new ActionStep[last + 1];
        for (int i = 0; i <= last; i++)
        {
            var step = _steps[i];
            if (step.Kind == ActionKind.ToResolver && i < last)
                throw new ArgumentException(
                    $"Step {i + 1} ({step.ToString(templates, branches)}) hands the packet to the resolver and must be the last action; step {i + 2} ({_steps[i + 1].ToString(templates, branches)}) follows it.");
            steps[i] = i == last ? step : step.Kind switch
            {
                ActionKind.Output => step.WithKind(ActionKind.OutputCopy),
                ActionKind.Clone => step.WithKind(ActionKind.CloneCopy),
                _ => step,
            };
        }
        if (last < _steps.Count - 1)
            throw new ArgumentException(
                $"Step {last + 2} ({_steps[last + 1].ToString(templates, branches)}) follows the last action that hands the packet on (step {last + 1}, {_steps[last].ToString(templates, branches)}) and would never run.");
        return new ActionProgram(steps, templates, branches);
    }

    /// <summary>Empties the builder so it can build another program (programs already built are unaffected).</summary>
    public ActionProgramBuilder Clear()
    {
        _steps.Clear();
        _templates.Clear();
        _branches.Clear();
        return this;
    }

    private ActionProgramBuilder Add(ActionStep step)
    {
        _steps.Add(step);
        return this;
    }
}
