using NetFabric.Simulation.Topology.Internal;

namespace NetFabric.Simulation.Topology;

/// <summary>
/// Declares one bridge inside <see cref="TopologyBuilder.Bridge"/> or <see cref="TopologyBuilder.EditBridge"/>.
/// Nothing is checked here: every problem is reported together by <see cref="TopologyBuilder.Build"/>.
/// </summary>
public sealed class BridgeBuilder
{
    private readonly DeviceDraft _draft;

    internal BridgeBuilder(DeviceDraft draft) => _draft = draft;

    /// <summary>
    /// Adds a port. With <paramref name="exterior"/> it is an exterior port bound to that host interface
    /// (e.g. <c>vm1-tap</c>, <c>afpacket:veth0</c>) on <paramref name="host"/>; without, an interior port
    /// that a <see cref="TopologyBuilder.Link"/> must connect. <paramref name="vlan"/> is the access VLAN.
    /// </summary>
    public BridgeBuilder Port(string name, string? exterior = null, string? host = null, int? vlan = null)
    {
        _draft.Ports.Add(new PortDraft(name, exterior, host, null, null, vlan, false));
        return this;
    }

    /// <summary>Pre-populates the MAC table: <paramref name="mac"/> on <paramref name="vlan"/> (null = untagged) is behind <paramref name="port"/>.</summary>
    public BridgeBuilder StaticMac(string mac, string port, int? vlan = null)
    {
        _draft.StaticMacs.Add(new StaticMacDraft(mac, vlan, port));
        return this;
    }

    /// <summary>Pre-fills the ARP cache: the bridge answers ARP for <paramref name="address"/> with <paramref name="mac"/>.</summary>
    public BridgeBuilder StaticArp(string address, string mac)
    {
        _draft.StaticArp.Add(new StaticArpDraft(address, mac));
        return this;
    }

    /// <summary>Removes the port called <paramref name="name"/>, its static MAC entries and its links (no-op when absent).</summary>
    public BridgeBuilder RemovePort(string name)
    {
        _draft.Ports.RemoveAll(port => port.Name == name);
        _draft.StaticMacs.RemoveAll(entry => entry.Port == name);
        RemovedPorts.Add(name);
        return this;
    }

    /// <summary>Removes every static MAC and ARP entry.</summary>
    public BridgeBuilder ClearStaticEntries()
    {
        _draft.StaticMacs.Clear();
        _draft.StaticArp.Clear();
        return this;
    }

    internal List<string> RemovedPorts { get; } = [];
}
