using FsCheck.Xunit;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Tests.Actions;

/// clone(...): a branch program run on a copy, the original continuing unchanged.
public class ActionCloneTests
{
    private static readonly MacAddress RouterMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress NextHopMac = MacAddress.Parse("02:00:00:00:00:02");

    private static ActionProgram Routing(uint port) =>
        ActionProgram.CreateBuilder().DecrementTtl().SetEthernetSource(RouterMac).SetEthernetDestination(NextHopMac).Output(port).Build();

    private static byte Ttl(byte[] frame) => frame[14 + 8];

    [Fact]
    public void A_clone_rewrites_its_copy_and_the_original_leaves_unchanged()
    {
        var frame = ActionProgramTests.Ipv4Udp();
        var program = ActionProgram.CreateBuilder().Clone(Routing(3)).Output(1).Build();
        Assert.Equal("clone(dec_ttl,set_field:02:00:00:00:00:01->eth_src,set_field:02:00:00:00:00:02->eth_dst,output:3),output:1", program.ToString());

        var sink = ActionRunner.Run(program, frame);
        Assert.Equal([3u, 1u], sink.Outputs.Select(o => o.Port));
        var routed = sink.Outputs[0].Frame;
        Assert.Equal(RouterMac, MacAddress.Read(routed.AsSpan(6)));
        Assert.Equal(NextHopMac, MacAddress.Read(routed));
        Assert.Equal(63, Ttl(routed));
        Assert.True(Ipv4Header.TryRead(routed.AsSpan(14), out var ip) && ip.IsChecksumValid);
        Assert.Equal(frame, sink.Outputs[1].Frame);
    }

    [Fact]
    public void A_clone_that_is_the_last_step_runs_on_the_original()
    {
        var frame = ActionProgramTests.Ipv4Udp();
        // Two buffers would be needed if the last clone copied; one spare (for the output copy) is enough.
        var sink = ActionRunner.Run(ActionProgram.CreateBuilder().Output(1).Clone(Routing(3)).Build(), frame, poolSize: 2);
        Assert.Equal([1u, 3u], sink.Outputs.Select(o => o.Port));
        Assert.Empty(sink.Drops);
        Assert.Equal(frame, sink.Outputs[0].Frame);
        Assert.Equal(63, Ttl(sink.Outputs[1].Frame));
    }

    [Fact]
    public void A_drop_branch_adds_nothing_and_a_program_of_only_clones_is_not_a_drop()
    {
        Assert.Equal("output:1", ActionProgram.CreateBuilder().Clone(ActionProgram.Drop).Output(1).Build().ToString());
        var onlyClones = ActionProgram.CreateBuilder().Clone(Routing(2)).Clone(Routing(3)).Build();
        Assert.False(onlyClones.IsDrop);
        Assert.Equal([2u, 3u], ActionRunner.Run(onlyClones, ActionProgramTests.Ipv4Udp()).Outputs.Select(o => o.Port));
        Assert.Throws<ArgumentNullException>(() => ActionProgram.CreateBuilder().Clone(null!));
    }

    [Fact]
    public void Without_a_buffer_for_the_copy_the_copy_is_a_NoBuffer_drop_and_the_original_goes_on()
    {
        var frame = ActionProgramTests.Ipv4Udp();
        var sink = ActionRunner.Run(ActionProgram.CreateBuilder().Clone(Routing(3)).Output(1).Build(), frame, poolSize: 1);
        Assert.Equal([DropReason.NoBuffer], sink.Drops);
        Assert.Equal(frame, Assert.Single(sink.Outputs).Frame);
    }

    /// Whatever the TTL, the original leaves as it came; the routed copy leaves one TTL lower or, when its TTL
    /// runs out, goes to the resolver unmodified — never both, never neither.
    [Property(MaxTest = 300)]
    public void The_original_never_sees_the_branch_and_the_branch_behaves_as_its_program_alone(byte ttl, byte payload)
    {
        var frame = ActionProgramTests.Ipv4Udp(ttl, payload: payload % 64);
        var sink = ActionRunner.Run(ActionProgram.CreateBuilder().Clone(Routing(3)).Output(1).Build(), frame);
        var alone = ActionRunner.Run(Routing(3), frame);
        Assert.Equal(frame, sink.Outputs.Single(o => o.Port == 1).Frame);
        Assert.Equal(alone.Outputs.Select(o => Convert.ToHexString(o.Frame)), sink.Outputs.Where(o => o.Port == 3).Select(o => Convert.ToHexString(o.Frame)));
        Assert.Equal(alone.Resolved.Select(r => (r.Reason, Convert.ToHexString(r.Frame))), sink.Resolved.Select(r => (r.Reason, Convert.ToHexString(r.Frame))));
    }
}
