namespace NetFabric.Simulation.Tests.Topology;

using NetFabric.Simulation.Topology;

public class TopologyValidationTests
{
    private static IReadOnlyList<TopologyError> Errors(TopologyBuilder builder) =>
        Assert.Throws<TopologyValidationException>(() => builder.Build()).Errors;

    private static TopologyError Single(TopologyBuilder builder) => Assert.Single(Errors(builder));

    private static TopologyBuilder WithRouter(Action<RouterBuilder> configure) => new TopologyBuilder().Router("r", configure);

    private static void AssertError(TopologyError error, string obj, string field, string fragment)
    {
        Assert.Equal(obj, error.Object);
        Assert.Equal(field, error.Field);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_builder_is_a_valid_empty_topology()
    {
        var topology = new TopologyBuilder().Build();
        Assert.Empty(topology.Devices);
        Assert.Equal(1, topology.Version);
    }

    [Fact]
    public void Duplicate_device_names_are_rejected_across_kinds()
    {
        var error = Single(new TopologyBuilder().Bridge("x", b => b.Port("p", exterior: "t")).Router("x"));
        AssertError(error, "router 'x'", "name", "duplicate device name (already used by bridge 'x')");
    }

    [Fact]
    public void Duplicate_port_names_in_one_device_are_rejected()
    {
        var error = Single(new TopologyBuilder().Bridge("b", b => b.Port("p", exterior: "t1").Port("p", exterior: "t2")));
        AssertError(error, "bridge 'b' port 'p'", "name", "duplicate port name");
    }

    [Fact]
    public void Names_with_a_slash_or_empty_are_rejected()
    {
        var errors = Errors(new TopologyBuilder().Bridge("a/b").Bridge("c", b => b.Port("", exterior: "t")));
        AssertError(errors[0], "bridge 'a/b'", "name", "must not contain '/'");
        AssertError(errors[1], "bridge 'c' port ''", "name", "non-empty");
    }

    [Fact]
    public void An_interior_port_without_a_peer_is_rejected()
    {
        var error = Single(new TopologyBuilder().Bridge("b", b => b.Port("lonely")));
        AssertError(error, "bridge 'b' port 'lonely'", "peer", "interior port has no peer");
    }

    [Fact]
    public void A_link_to_an_unknown_port_is_rejected_once()
    {
        var error = Single(new TopologyBuilder().Bridge("b", b => b.Port("p")).Link("b/p", "ghost/q"));
        AssertError(error, "link 'b/p' - 'ghost/q'", "peer", "unknown port 'ghost/q'");
    }

    [Fact]
    public void A_port_linked_twice_is_rejected()
    {
        var error = Single(new TopologyBuilder()
            .Bridge("b", b => b.Port("p"))
            .Bridge("c", b => b.Port("q"))
            .Bridge("d", b => b.Port("s"))
            .Link("b/p", "c/q").Link("b/p", "d/s"));
        AssertError(error, "bridge 'b' port 'p'", "peer", "linked twice: by link 'b/p' - 'c/q' and by link 'b/p' - 'd/s'");
    }

    [Fact]
    public void A_link_between_two_ports_of_one_device_is_rejected()
    {
        var error = Single(new TopologyBuilder().Bridge("b", b => b.Port("p").Port("q")).Link("b/p", "b/q"));
        AssertError(error, "link 'b/p' - 'b/q'", "peer", "both ports belong to bridge 'b'");
    }

    [Fact]
    public void An_exterior_port_with_a_peer_is_rejected()
    {
        var error = Single(new TopologyBuilder()
            .Bridge("b", b => b.Port("vm", exterior: "vm-tap"))
            .Bridge("c", b => b.Port("q"))
            .Link("b/vm", "c/q"));
        AssertError(error, "bridge 'b' port 'vm'", "peer", "exterior port (bound to 'vm-tap') cannot have a peer");
    }

    [Fact]
    public void Two_ports_bound_to_one_interface_of_one_host_are_rejected()
    {
        var error = Single(new TopologyBuilder().Bridge("b", b => b.Port("p", exterior: "tap", host: "h").Port("q", exterior: "tap", host: "h")
            .Port("other-host", exterior: "tap", host: "h2")));
        AssertError(error, "bridge 'b' port 'q'", "exterior", "interface 'tap' on host 'h' is already bound to bridge 'b' port 'p'");
    }

    [Fact]
    public void A_router_port_without_MAC_or_address_is_rejected_for_each_field()
    {
        var errors = Errors(WithRouter(r => r.Port("up", exterior: "eth0")));
        AssertError(errors[0], "router 'r' port 'up'", "mac", "needs a MAC address");
        AssertError(errors[1], "router 'r' port 'up'", "address", "needs an address");
    }

    [Fact]
    public void Invalid_MAC_and_prefix_text_is_rejected_with_the_value()
    {
        var errors = Errors(WithRouter(r => r.Port("up", mac: "02:00:00:00:00", address: "198.18.1.300/24", exterior: "eth0")
            .Route("10.0.0.0/33", port: "up", gateway: "1.2.3", source: "x")));
        AssertError(errors[0], "router 'r' port 'up'", "mac", "'02:00:00:00:00' is not a MAC address");
        AssertError(errors[1], "router 'r' port 'up'", "address", "'198.18.1.300/24' is not an IPv4 address/prefix length");
        AssertError(errors[2], "router 'r' route '10.0.0.0/33'", "destination", "'10.0.0.0/33' is not an IPv4 prefix");
        AssertError(errors[3], "router 'r' route '10.0.0.0/33'", "source", "'x' is not an IPv4 prefix");
        AssertError(errors[4], "router 'r' route '10.0.0.0/33'", "gateway", "'1.2.3' is not an IPv4 address");
        Assert.Equal(5, errors.Count);
    }

    [Fact]
    public void A_multicast_MAC_on_a_router_port_is_rejected()
    {
        var error = Single(WithRouter(r => r.Port("up", mac: "01:00:5e:00:00:01", address: "198.18.0.1/24", exterior: "eth0")));
        AssertError(error, "router 'r' port 'up'", "mac", "group address");
    }

    [Fact]
    public void Overlapping_port_prefixes_on_one_router_are_rejected()
    {
        var error = Single(WithRouter(r => r
            .Port("net1", mac: "02:00:00:00:00:01", address: "198.18.1.1/24", exterior: "t1")
            .Port("net2", mac: "02:00:00:00:00:02", address: "198.18.1.9/24", exterior: "t2")));
        Assert.Equal("router 'r' port 'net2' field 'address': 198.18.1.9/24 overlaps port 'net1' (198.18.1.1/24)", error.ToString());
    }

    [Fact]
    public void The_same_prefix_on_two_routers_is_allowed()
    {
        var topology = new TopologyBuilder()
            .Router("r1", r => r.Port("p", mac: "02:00:00:00:00:01", address: "198.18.1.1/24", exterior: "t1"))
            .Router("r2", r => r.Port("p", mac: "02:00:00:00:00:02", address: "198.18.1.1/24", exterior: "t2"))
            .Build();
        Assert.Equal(2, topology.Devices.Count);
    }

    [Fact]
    public void A_route_to_an_unknown_port_or_to_another_devices_port_is_rejected()
    {
        var errors = Errors(new TopologyBuilder()
            .Router("r", r => r.Port("p", mac: "02:00:00:00:00:01", address: "198.18.1.1/24", exterior: "t1")
                .Route("10.0.0.0/8", port: "nowhere")
                .Route("11.0.0.0/8", port: "s/p"))
            .Router("s", r => r.Port("p", mac: "02:00:00:00:00:02", address: "198.18.2.1/24", exterior: "t2")));
        AssertError(errors[0], "router 'r' route '10.0.0.0/8'", "port", "unknown port 'nowhere' in router 'r'");
        AssertError(errors[1], "router 'r' route '11.0.0.0/8'", "port", "'s/p' is not a port of router 'r'");
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public void A_normal_route_without_an_egress_port_is_rejected_but_blackhole_and_reject_are_not()
    {
        var error = Single(WithRouter(r => r.Route("10.0.0.0/8", gateway: "198.18.0.1").Blackhole("11.0.0.0/8").Reject("12.0.0.0/8")
            .Route("198.18.1.1/32", type: RouteType.Local)));
        AssertError(error, "router 'r' route '10.0.0.0/8'", "port", "a normal route needs an egress port");
    }

    [Fact]
    public void A_gateway_outside_the_egress_ports_subnet_is_rejected()
    {
        var error = Single(WithRouter(r => r.Port("up", mac: "02:00:00:00:00:01", address: "198.18.0.2/24", exterior: "eth0")
            .Route("0.0.0.0/0", port: "up", gateway: "198.18.5.1")));
        AssertError(error, "router 'r' route '0.0.0.0/0'", "gateway", "198.18.5.1 is outside the subnet of egress port 'up' (198.18.0.2/24)");
    }

    [Fact]
    public void A_weight_below_one_is_rejected()
    {
        var error = Single(WithRouter(r => r.Blackhole("10.0.0.0/8").Route("11.0.0.0/8", type: RouteType.Blackhole, weight: 0)));
        AssertError(error, "router 'r' route '11.0.0.0/8'", "weight", "0 is not a weight");
    }

    [Fact]
    public void Bridge_static_entries_on_unknown_ports_or_with_bad_text_are_rejected()
    {
        var errors = Errors(new TopologyBuilder().Bridge("b", b => b.Port("vm", exterior: "tap")
            .StaticMac("02:00:00:00:00:01", port: "ghost")
            .StaticMac("zz:00:00:00:00:01", port: "vm", vlan: 5000)
            .StaticArp("198.18.1.999", "02:00:00:00:00:01")));
        AssertError(errors[0], "bridge 'b' static MAC '02:00:00:00:00:01'", "port", "unknown port 'ghost' in bridge 'b'");
        AssertError(errors[1], "bridge 'b' static MAC 'zz:00:00:00:00:01'", "mac", "is not a MAC address");
        AssertError(errors[2], "bridge 'b' static MAC 'zz:00:00:00:00:01'", "vlan", "5000 is not a VLAN id");
        AssertError(errors[3], "bridge 'b' static ARP '198.18.1.999'", "address", "is not an IPv4 address");
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void A_bridge_port_VLAN_out_of_range_is_rejected()
    {
        var error = Single(new TopologyBuilder().Bridge("b", b => b.Port("vm", exterior: "tap", vlan: 4095)));
        AssertError(error, "bridge 'b' port 'vm'", "vlan", "4095 is not a VLAN id");
    }

    [Fact]
    public void Every_violation_is_reported_at_once_and_the_message_lists_them_all()
    {
        var exception = Assert.Throws<TopologyValidationException>(() => new TopologyBuilder()
            .Bridge("b", b => b.Port("lonely").StaticMac("02:00:00:00:00:01", port: "ghost"))
            .Router("r", r => r.Port("p").Route("10.0.0.0/8"))
            .Router("b")
            .Link("b/lonely", "nobody/x")
            .Build());

        Assert.Equal(7, exception.Errors.Count);
        Assert.Contains("7 problems", exception.Message, StringComparison.Ordinal);
        foreach (var error in exception.Errors)
            Assert.Contains(error.ToString(), exception.Message, StringComparison.Ordinal);
        Assert.Equal(["name", "peer", "peer", "mac", "address", "port", "port"], exception.Errors.Select(e => e.Field));
        Assert.Equal(["router 'b'", "link 'b/lonely' - 'nobody/x'", "router 'r' port 'p'", "router 'r' port 'p'", "router 'r' port 'p'",
            "bridge 'b' static MAC '02:00:00:00:00:01'", "router 'r' route '10.0.0.0/8'"], exception.Errors.Select(e => e.Object));
    }

    [Fact]
    public void Editing_a_device_that_does_not_exist_is_reported_by_Build()
    {
        var error = Single(new TopologyBuilder().EditRouter("ghost", r => r.ClearRoutes()));
        AssertError(error, "router 'ghost'", "name", "there is no such device to edit");
    }
}
