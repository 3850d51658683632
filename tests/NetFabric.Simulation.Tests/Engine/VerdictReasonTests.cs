using NetFabric.Datapath.Flows;
using NetFabric.Simulation.Engine;

namespace NetFabric.Simulation.Tests.Engine;

/// Reasons cost nothing on an ordinary miss and read as text in a trace; a forward keeps its port inline.
public class VerdictReasonTests
{
    [Fact]
    public void Explain_formats_only_while_tracing()
    {
        var context = new SimulationContext();
        context.Reset(default(FlowKey));
        int formatted = 0;
        string Count() { formatted++; return "x"; }
        Assert.Equal("", context.Explain($"port {Count()}"));
        Assert.Equal(0, formatted);
        context.IsTracing = true;
        Assert.Equal("port x", context.Explain($"port {Count()}"));
        Assert.Equal(1, formatted);
        context.Reset(default(FlowKey));
        Assert.False(context.IsTracing);
    }

    [Fact]
    public void A_forward_names_one_port_and_a_flood_its_list()
    {
        var forward = DeviceVerdict.Forward(7, "r");
        Assert.Equal(1, forward.PortCount);
        Assert.Equal(7ul, forward.PortAt(0));
        Assert.Equal([7ul], forward.Ports);
        Assert.Throws<ArgumentOutOfRangeException>(() => forward.PortAt(1));
        var flood = DeviceVerdict.Flood([1ul, 2ul]);
        Assert.Equal(2, flood.PortCount);
        Assert.Equal(2ul, flood.PortAt(1));
        Assert.Equal(0, DeviceVerdict.Drop("d").PortCount);
        Assert.Empty(DeviceVerdict.Consume("c").Ports);
    }
}
