using System.Runtime.CompilerServices;
using System.Text;
using NetFabric.Datapath.Actions.Internal;
using NetFabric.Datapath.Buffers;

namespace NetFabric.Datapath.Actions;

/// <summary>
/// A compiled, immutable list of packet actions — set-field with incremental checksums, VLAN push/pop/set, TTL
/// decrement, tunnel encapsulation and decapsulation, output, clone (a branch program run on a copy), hand to the
/// resolver — built with
/// <see cref="CreateBuilder"/> and executed on each packet of a flow. Thread-safe: one program may run on many
/// workers at once.
/// </summary>
/// <remarks>
/// <para>A program is an array of small structs walked by one switch: no virtual call per action and no
/// allocation per packet. Nothing about the packet is decided when the program is built: at execution the headers
/// are located where this packet has them (VLAN tags, IPv4 options, IPv6 extension headers), once per execution, and
/// located again only after an action that moves them (VLAN push/pop, encapsulation, decapsulation).</para>
/// <para>Checksums (RFC 1624 incremental updates, never a full pass for a set-field): the IPv4 header checksum for
/// address and TTL changes; the TCP/UDP checksum for address changes (pseudo-header) and port changes; the ICMPv6
/// checksum for IPv6 address changes. A UDP checksum of 0 ("none", RFC 768 over IPv4; a zero-checksum tunnel over
/// IPv6, RFC 6935) stays 0, and a UDP checksum that updates to 0 is sent as 0xFFFF. A later IPv4/IPv6 fragment
/// (offset &gt; 0) has no transport header: only the IP header is rewritten. With an IPv6 routing header the L4
/// pseudo-header uses the final destination (RFC 8200 §8.1), which a destination rewrite does not look for: the L4
/// checksum is updated as if the destination field were final.</para>
/// <para>Bad input never throws: a packet that lacks what an action needs is dropped with
/// <see cref="DropReason.Malformed"/>, and nothing is read or written outside the frame.</para>
/// </remarks>
public sealed partial class ActionProgram
{
    private readonly ActionStep[] _steps;
    private readonly TunnelTemplate[] _templates;
    private readonly ActionProgram[] _branches;

    internal ActionProgram(ActionStep[] steps, TunnelTemplate[] templates, ActionProgram[] branches)
    {
        _steps = steps;
        _templates = templates;
        _branches = branches;
    }

    /// <summary>A program that drops every packet (<see cref="DropReason.Action"/>).</summary>
    public static ActionProgram Drop { get; } = new([], [], []);

    /// <summary>Starts a new program.</summary>
    public static ActionProgramBuilder CreateBuilder() => new();

    /// <summary>True when the program drops every packet (it has no output and does not hand packets to the resolver).</summary>
    public bool IsDrop => _steps.Length == 0;

    /// <summary>
    /// Applies the program to <paramref name="packet"/>, which it owns from now on: the packet ends up in exactly one
    /// <paramref name="sink"/> call (output, resolver or drop), and each copy an earlier output made in its own
    /// <see cref="IActionSink.Output"/> call (or, when no buffer was free for it, in a <see cref="IActionSink.Drop"/>
    /// call with <see cref="DropReason.NoBuffer"/> and the null handle). Allocation-free; never throws for any frame
    /// content or length.
    /// </summary>
    public void Execute(PacketBuffer packet, IActionSink sink)
    {
        var steps = _steps;
        if (steps.Length == 0)
        {
            sink.Drop(packet, DropReason.Action);
            return;
        }
        var layout = default(PacketLayout);
        StepResult result;
        // Build guarantees the last step is Output or ToResolver, so the loop always returns from inside.
        for (int i = 0; i < steps.Length; i++)
        {
            ref readonly ActionStep step = ref steps[i];
            switch (step.Kind)
            {
                case ActionKind.SetEthernetSource:
                    if (!SetMac(packet.Data, 6, step.Value)) goto Malformed;
                    break;
                case ActionKind.SetEthernetDestination:
                    if (!SetMac(packet.Data, 0, step.Value)) goto Malformed;
                    break;
                case ActionKind.DecrementTtl:
                    result = DecrementTtl(packet.Data, ref layout, step.Value == 0 ? 1 : (int)step.Value);
                    if (result != StepResult.Continue) goto Stop;
                    break;
                case ActionKind.SetIpv4Source:
                case ActionKind.SetIpv4Destination:
                    if (!SetIpv4Address(packet.Data, ref layout, step.Kind == ActionKind.SetIpv4Source ? 12 : 16, (uint)step.Value)) goto Malformed;
                    break;
                case ActionKind.SetIpv6Source:
                case ActionKind.SetIpv6Destination:
                    if (!SetIpv6Address(packet.Data, ref layout, step.Kind == ActionKind.SetIpv6Source ? 8 : 24, step.Value, step.Value2)) goto Malformed;
                    break;
                case ActionKind.SetTransportSource:
                case ActionKind.SetTransportDestination:
                    if (!SetTransportPort(packet.Data, ref layout, step.Kind == ActionKind.SetTransportSource ? 0 : 2, (ushort)step.Value)) goto Malformed;
                    break;
                case ActionKind.PushVlan:
                    result = PushVlan(packet, (ushort)(step.Value >> 16), (ushort)step.Value);
                    if (result != StepResult.Continue) goto Stop;
                    layout = default;
                    break;
                case ActionKind.PopVlan:
                    if (!PopVlan(packet)) goto Malformed;
                    layout = default;
                    break;
                case ActionKind.SetVlan:
                    if (!SetVlan(packet.Data, (ushort)step.Value)) goto Malformed;
                    break;
                case ActionKind.Encapsulate:
                    result = Encapsulate(packet, _templates[(int)step.Value]);
                    if (result != StepResult.Continue) goto Stop;
                    layout = default;
                    break;
                case ActionKind.Decapsulate:
                    if (!Decapsulate(packet)) goto Malformed;
                    layout = default;
                    break;
                case ActionKind.OutputCopy:
                    OutputCopy(packet, (uint)step.Value, sink);
                    break;
                case ActionKind.Output:
                    sink.Output((uint)step.Value, packet);
                    return;
                case ActionKind.ToResolver:
                    sink.ToResolver(packet, ResolverReason.Explicit);
                    return;
                case ActionKind.CloneCopy:
                    CloneCopy(packet, _branches[(int)step.Value], sink);
                    break;
                case ActionKind.Clone:
                    _branches[(int)step.Value].Execute(packet, sink);
                    return;
            }
        }
        sink.Drop(packet, DropReason.Action);
        return;

    Malformed:
        result = StepResult.Malformed;
    Stop:
        Finish(packet, sink, result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OutputCopy(PacketBuffer packet, uint port, IActionSink sink)
    {
        if (PacketPool.TryClone(packet, out var copy)) sink.Output(port, copy);
        else sink.Drop(default, DropReason.NoBuffer);
    }

    // The branch rewrites its own copy; the original continues as it was (the layout found so far stays valid).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CloneCopy(PacketBuffer packet, ActionProgram branch, IActionSink sink)
    {
        if (PacketPool.TryClone(packet, out var copy)) branch.Execute(copy, sink);
        else sink.Drop(default, DropReason.NoBuffer);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Finish(PacketBuffer packet, IActionSink sink, StepResult result)
    {
        switch (result)
        {
            case StepResult.TtlExpired:
                sink.ToResolver(packet, ResolverReason.TtlExpired);
                break;
            case StepResult.NoHeadroom:
                sink.Drop(packet, DropReason.NoHeadroom);
                break;
            default:
                sink.Drop(packet, DropReason.Malformed);
                break;
        }
    }

    /// <summary>The program in Open vSwitch-like action syntax, e.g. <c>set_field:02:00:00:00:00:01->eth_src,dec_ttl,output:3</c>; <c>drop</c> for a drop program.</summary>
    public override string ToString()
    {
        if (_steps.Length == 0) return "drop";
        var text = new StringBuilder();
        for (int i = 0; i < _steps.Length; i++)
        {
            if (i > 0) text.Append(',');
            _steps[i].AppendTo(text, _templates, _branches);
        }
        return text.ToString();
    }

    private enum StepResult : byte
    {
        Continue,
        Malformed,
        NoHeadroom,
        TtlExpired,
    }
}
