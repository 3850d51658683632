using System.Globalization;
using System.Text;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Actions.Internal;

/// What one compiled step does. Dense values from 0 so the executor's switch becomes a jump table.
internal enum ActionKind : byte
{
    SetEthernetSource,
    SetEthernetDestination,
    PushVlan,
    PopVlan,
    SetVlan,
    SetIpv4Source,
    SetIpv4Destination,
    SetIpv6Source,
    SetIpv6Destination,
    SetTransportSource,
    SetTransportDestination,
    DecrementTtl,
    Encapsulate,
    Decapsulate,
    /// Sends a copy and continues with the original (every output but the last; set by Build).
    OutputCopy,
    /// Hands the original packet on and ends the program.
    Output,
    /// Hands the original packet to the resolver and ends the program.
    ToResolver,
    /// Runs a branch program on a copy and continues with the original (every clone but a last step; set by Build).
    CloneCopy,
    /// Runs a branch program on the original packet and ends the program (a clone that is the last step).
    Clone,
}

/// One compiled action: a kind and up to two operands, 24 bytes, no references (an encapsulation's template is
/// an index into the program's template table), so a program is one contiguous array the executor walks.
/// Operands: a MAC in the low 48 bits of <see cref="Value"/>; an IPv4 address or a port in its low bits;
/// an IPv6 address as <see cref="Value"/> (upper 64 bits) and <see cref="Value2"/> (lower); a VLAN push as
/// TPID &lt;&lt; 16 | TCI; an output port; a template index; a branch index.
internal readonly struct ActionStep(ActionKind kind, ulong value = 0, ulong value2 = 0)
{
    public readonly ActionKind Kind = kind;
    public readonly ulong Value = value;
    public readonly ulong Value2 = value2;

    public ActionStep WithKind(ActionKind kind) => new(kind, Value, Value2);

    /// Appends the step in Open vSwitch-like action syntax (<c>set_field:VALUE->FIELD</c>, <c>dec_ttl</c>, <c>output:N</c>).
    public void AppendTo(StringBuilder text, TunnelTemplate[] templates, ActionProgram[] branches)
    {
        var invariant = CultureInfo.InvariantCulture;
        switch (Kind)
        {
            case ActionKind.SetEthernetSource: SetField(text, new MacAddress(Value).ToString(), "eth_src"); break;
            case ActionKind.SetEthernetDestination: SetField(text, new MacAddress(Value).ToString(), "eth_dst"); break;
            case ActionKind.PushVlan: text.Append(invariant, $"push_vlan(tpid=0x{Value >> 16:x4},tci=0x{Value & 0xFFFF:x4})"); break;
            case ActionKind.PopVlan: text.Append("pop_vlan"); break;
            case ActionKind.SetVlan: SetField(text, string.Create(invariant, $"0x{Value:x4}"), "vlan_tci"); break;
            case ActionKind.SetIpv4Source: SetField(text, new IPv4Address((uint)Value).ToString(), "ip_src"); break;
            case ActionKind.SetIpv4Destination: SetField(text, new IPv4Address((uint)Value).ToString(), "ip_dst"); break;
            case ActionKind.SetIpv6Source: SetField(text, new IPv6Address(Value, Value2).ToString(), "ipv6_src"); break;
            case ActionKind.SetIpv6Destination: SetField(text, new IPv6Address(Value, Value2).ToString(), "ipv6_dst"); break;
            case ActionKind.SetTransportSource: SetField(text, Value.ToString(invariant), "tp_src"); break;
            case ActionKind.SetTransportDestination: SetField(text, Value.ToString(invariant), "tp_dst"); break;
            case ActionKind.DecrementTtl: text.Append(Value > 1 ? $"dec_ttl({Value})" : "dec_ttl"); break;
            case ActionKind.Encapsulate: text.Append("encap:").Append(templates[(int)Value].ToString()); break;
            case ActionKind.Decapsulate: text.Append("decap"); break;
            case ActionKind.OutputCopy:
            case ActionKind.Output: text.Append("output:").Append(Value.ToString(invariant)); break;
            case ActionKind.ToResolver: text.Append("resolver"); break;
            case ActionKind.CloneCopy:
            case ActionKind.Clone: text.Append("clone(").Append(branches[(int)Value].ToString()).Append(')'); break;
        }
    }

    public string ToString(TunnelTemplate[] templates, ActionProgram[] branches)
    {
        var text = new StringBuilder();
        AppendTo(text, templates, branches);
        return text.ToString();
    }

    private static void SetField(StringBuilder text, string value, string field) =>
        text.Append("set_field:").Append(value).Append("->").Append(field);
}
