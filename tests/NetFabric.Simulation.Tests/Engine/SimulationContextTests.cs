using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;

namespace NetFabric.Simulation.Tests.Engine;

public class SimulationContextTests
{
    private static FlowKey UdpKey()
    {
        var frame = new byte[64];
        int length = IpFrames.WriteUdp(frame, MacAddress.Parse("02:00:00:00:00:01"), MacAddress.Parse("02:00:00:00:00:02"),
            IPv4Address.Parse("198.18.1.10"), IPv4Address.Parse("198.18.2.20"), 1000, 53, new byte[8]);
        FlowKey.Extract(frame.AsSpan(0, length), 7, out var key);
        return key;
    }

    [Fact]
    public void A_device_that_reads_only_the_destination_MAC_yields_a_mask_of_that_MAC_and_the_parse_state()
    {
        var context = new SimulationContext();
        var key = UdpKey();
        context.Reset(key);
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:02"), context.ReadEthernetDestination());

        var mask = context.Mask;
        Assert.Equal(MacAddress.Broadcast, mask.Bits.EthernetDestination);
        Assert.Equal(MacAddress.Zero, mask.Bits.EthernetSource);
        Assert.Equal(default, mask.Bits.NetworkDestination);
        Assert.Equal(0, mask.Bits.TransportDestination);
        Assert.Equal(48 + 16, mask.BitCount); // the MAC plus the always-matched parse state bytes
        // The flow covers another packet that differs everywhere but the destination MAC.
        var other = key;
        other.NetworkDestination = new IPv6Address(0, 1);
        other.TransportDestination = 9;
        Assert.True(new FlowMatch(key, mask).Covers(other));
    }

    [Fact]
    public void Looking_at_the_context_for_diagnostics_records_nothing()
    {
        var context = new SimulationContext();
        context.Reset(UdpKey());
        _ = context.ToString();
        _ = context.CurrentKey;
        _ = context.OriginalKey.EthernetDestination;
        Assert.Equal(FlowMask.ParseStateOnly, context.Mask);
    }

    [Fact]
    public void A_prefix_read_matches_only_the_prefix_bits()
    {
        var context = new SimulationContext();
        context.Reset(UdpKey());
        context.ReadIpv4DestinationPrefix(24);
        Assert.Equal(new IPv6Address(0, 0xFFFF_FF00u), context.Mask.Bits.NetworkDestination);
        context.ReadIpv4DestinationPrefix(16); // a shorter read later does not narrow what was already read
        Assert.Equal(new IPv6Address(0, 0xFFFF_FF00u), context.Mask.Bits.NetworkDestination);
    }

    [Fact]
    public void A_field_written_by_an_earlier_device_is_not_matched_when_read_later()
    {
        var context = new SimulationContext();
        context.Reset(UdpKey());
        context.SetEthernetDestination(MacAddress.Parse("02:00:00:00:00:99"));
        Assert.Equal(MacAddress.Parse("02:00:00:00:00:99"), context.ReadEthernetDestination());
        Assert.Equal(MacAddress.Zero, context.Mask.Bits.EthernetDestination);
        // A field read before it was written stays matched.
        context.ReadEthernetSource();
        context.SetEthernetSource(MacAddress.Parse("02:00:00:00:00:98"));
        Assert.Equal(MacAddress.Broadcast, context.Mask.Bits.EthernetSource);
    }

    [Fact]
    public void Modifications_compile_to_one_program_with_the_last_write_of_each_field_then_the_outputs()
    {
        var context = new SimulationContext();
        context.Reset(UdpKey());
        context.SetEthernetDestination(MacAddress.Parse("02:00:00:00:00:aa"));
        context.SetEthernetSource(MacAddress.Parse("02:00:00:00:00:bb"));
        context.DecrementTtl();
        context.SetEthernetDestination(MacAddress.Parse("02:00:00:00:00:cc"));
        var program = context.BuildActions([3u, 4u]);
        Assert.Equal("dec_ttl,set_field:02:00:00:00:00:bb->eth_src,set_field:02:00:00:00:00:cc->eth_dst,output:3,output:4", program.ToString());
        Assert.Equal(63, context.CurrentKey.NetworkTtl);
        Assert.Same(ActionProgram.Drop, context.BuildActions([]));
    }

    [Fact]
    public void Tags_are_kept_once_each_and_reset_clears_everything()
    {
        var context = new SimulationContext();
        context.Reset(UdpKey());
        context.AddTag(5);
        context.AddTag(5);
        context.AddTag(6);
        context.ReadInPort();
        Assert.Equal([5ul, 6ul], context.Tags);
        context.Reset(UdpKey());
        Assert.Empty(context.Tags);
        Assert.Equal(FlowMask.ParseStateOnly, context.Mask);
    }
}
