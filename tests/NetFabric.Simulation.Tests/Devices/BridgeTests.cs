using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Devices;
using NetFabric.Simulation.Engine;

namespace NetFabric.Simulation.Tests.Devices;

public class BridgeTests
{
    private static readonly MacAddress A = MacAddress.Parse("02:00:00:00:00:0a");
    private static readonly MacAddress B = MacAddress.Parse("02:00:00:00:00:0b");

    private static FlowKey Key(MacAddress source, MacAddress destination)
    {
        var frame = new byte[96];
        int length = IpFrames.WriteTcp(frame, source, destination, IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"),
            40000, 80, 1, 0, TcpFlags.Syn, 100, default);
        FlowKey.Extract(frame.AsSpan(0, length), 1, out var key);
        return key;
    }

    private static (DeviceVerdict Verdict, SimulationContext Context) Simulate(Bridge bridge, ulong ingress, MacAddress source, MacAddress destination)
    {
        var context = new SimulationContext();
        context.Reset(Key(source, destination));
        return (bridge.Process(context, ingress), context);
    }

    [Fact]
    public void An_unknown_destination_is_flooded_to_every_other_port_and_tagged_with_its_MAC_entry()
    {
        var bridge = new Bridge(100, "br0", [1, 2, 3]);
        var (verdict, context) = Simulate(bridge, 1, A, B);
        Assert.Equal(VerdictKind.Flood, verdict.Kind);
        Assert.Equal([2ul, 3ul], verdict.Ports);
        Assert.Contains(100ul, context.Tags);
        Assert.Contains(bridge.MacTag(0, B), context.Tags);
    }

    [Fact]
    public void A_learned_destination_is_forwarded_to_its_port_only()
    {
        var bridge = new Bridge(100, "br0", [1, 2, 3]);
        Simulate(bridge, 2, B, A); // learns B on port 2
        var (verdict, _) = Simulate(bridge, 1, A, B);
        Assert.Equal(VerdictKind.Forward, verdict.Kind);
        Assert.Equal([2ul], verdict.Ports);
    }

    [Fact]
    public void Broadcast_floods_and_a_destination_behind_the_ingress_port_is_dropped()
    {
        var bridge = new Bridge(100, "br0", [1, 2, 3]);
        Assert.Equal([1ul, 3ul], Simulate(bridge, 2, B, MacAddress.Broadcast).Verdict.Ports);
        Simulate(bridge, 1, A, B);
        Assert.Equal(VerdictKind.Drop, Simulate(bridge, 1, B, A).Verdict.Kind);
    }

    [Fact]
    public void A_bridge_flow_matches_only_VLAN_and_Ethernet_addresses_never_L3_or_L4()
    {
        var bridge = new Bridge(100, "br0", [1, 2]);
        var (_, context) = Simulate(bridge, 1, A, B);
        var mask = context.Mask.Bits;
        Assert.Equal(MacAddress.Broadcast, mask.EthernetSource);
        Assert.Equal(MacAddress.Broadcast, mask.EthernetDestination);
        Assert.Equal(ushort.MaxValue, mask.VlanTci);
        Assert.Equal(default, mask.NetworkSource);
        Assert.Equal(default, mask.NetworkDestination);
        Assert.Equal(0, mask.NetworkProtocol);
        Assert.Equal(0, mask.TransportSource);
        Assert.Equal(0, mask.TransportDestination);
        Assert.Equal(0, mask.TcpFlags);
        Assert.Equal(0u, mask.InPort); // the bridge port is known from the topology walk, not the key
    }

    [Fact]
    public void Learning_a_new_MAC_or_a_move_raises_a_change_and_static_entries_do_not_move()
    {
        var bridge = new Bridge(100, "br0", [1, 2, 3]);
        var changes = new List<(int, MacAddress)>();
        bridge.MacTable.EntryChanged += (vlan, mac) => changes.Add((vlan, mac));
        Simulate(bridge, 1, A, B);
        Simulate(bridge, 1, A, B);
        Simulate(bridge, 3, A, B);
        Assert.Equal([(0, A), (0, A)], changes);
        bridge.MacTable.AddStatic(0, B, 2);
        Simulate(bridge, 3, B, A);
        Assert.True(bridge.MacTable.TryGetPort(0, B, out ulong port));
        Assert.Equal(2ul, port);
        Assert.NotEqual(bridge.MacTag(0, A), bridge.MacTag(1, A));
        Assert.NotEqual(bridge.MacTag(0, A), new Bridge(101, "br1", [1]).MacTag(0, A));
    }
}
