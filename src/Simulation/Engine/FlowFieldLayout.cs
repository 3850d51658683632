using NetFabric.Datapath.Flows;

namespace NetFabric.Simulation.Engine;

/// Where each <see cref="FlowField"/> sits in a <see cref="FlowKey"/> (offset, size in bytes): kept next to the
/// key's explicit layout so a mask can be built byte-exactly from the fields read.
internal static class FlowFieldLayout
{
    public static (int Offset, int Size) Of(FlowField field) => field switch
    {
        FlowField.InPort => (0, 4),
        FlowField.TunnelId => (8, 8),
        FlowField.EthernetSource => (24, 6),
        FlowField.EthernetDestination => (32, 6),
        FlowField.EtherType => (40, 2),
        FlowField.VlanTci => (42, 2),
        FlowField.TcpFlags => (46, 2),
        FlowField.NetworkSource => (48, 16),
        FlowField.NetworkDestination => (64, 16),
        FlowField.NetworkProtocol => (80, 1),
        FlowField.NetworkTos => (81, 1),
        FlowField.NetworkTtl => (82, 1),
        FlowField.Fragment => (83, 1),
        FlowField.TransportSource => (84, 2),
        FlowField.TransportDestination => (86, 2),
        FlowField.ArpSourceHardware => (88, 6),
        FlowField.ArpTargetHardware => (96, 6),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not a flow field."),
    };
}
