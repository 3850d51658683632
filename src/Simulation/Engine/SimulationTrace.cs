using System.Text;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;

namespace NetFabric.Simulation.Engine;

/// <summary>One device visited by a simulated packet.</summary>
/// <param name="Device">The device's name.</param>
/// <param name="IngressPort">The port the packet entered it by.</param>
/// <param name="Verdict">What the device decided.</param>
/// <param name="EgressPorts">The ports it left by (names), if any.</param>
/// <param name="Reason">The device's explanation.</param>
public sealed record TraceHop(string Device, string IngressPort, VerdictKind Verdict, IReadOnlyList<string> EgressPorts, string Reason);

/// <summary>
/// The hop-by-hop explanation of one decision, like Open vSwitch's <c>ofproto/trace</c>: the packet's key, every
/// device visited with its ingress and egress ports and reason, the fields the decision read (the megaflow
/// mask), the tags it relied on, and the datapath actions.
/// </summary>
public sealed record SimulationTrace(FlowKey Key, IReadOnlyList<TraceHop> Hops, FlowMatch Megaflow, ActionProgram Actions, IReadOnlyList<ulong> Tags, string Outcome)
{
    /// <summary>Formats the trace for people.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("Flow: ").AppendLine(Key.ToString());
        foreach (var hop in Hops)
        {
            text.AppendLine();
            text.Append(hop.Device).Append(" (ingress port ").Append(hop.IngressPort).AppendLine(")");
            string egress = hop.EgressPorts.Count == 0 ? "" : " -> " + string.Join(", ", hop.EgressPorts);
            text.Append("    ").Append(hop.Verdict.ToString().ToLowerInvariant()).Append(egress);
            if (hop.Reason.Length > 0) text.Append(": ").Append(hop.Reason);
            text.AppendLine();
        }
        text.AppendLine();
        text.Append("Megaflow: ").Append(Megaflow.ToString()).Append(" (").Append(Megaflow.Mask.BitCount).AppendLine(" bits)");
        text.Append("Tags: ").AppendLine(string.Join(", ", Tags.Select(t => "0x" + t.ToString("x16", System.Globalization.CultureInfo.InvariantCulture))));
        text.Append("Datapath actions: ").AppendLine(Actions.ToString());
        text.Append("Outcome: ").Append(Outcome);
        return text.ToString();
    }
}
