namespace NetFabric.Datapath.Flows;

/// <summary>The fragment state of an IP packet, as keyed in <see cref="FlowKey.Fragment"/> (Open vSwitch's nw_frag).</summary>
public enum FlowFragment : byte
{
    /// <summary>Not a fragment.</summary>
    None = 0,
    /// <summary>The first fragment (offset 0, more-fragments set): transport ports are present.</summary>
    First = 1,
    /// <summary>A later fragment (offset above 0): no transport header in this packet.</summary>
    Later = 3,
}
