namespace NetFabric.Simulation.Tests.Topology;

using NetFabric.Simulation.Topology;

public class SingleHostValidationTests
{
    private static TopologyError Single(TopologyBuilder builder) =>
        Assert.Single(Assert.Throws<TopologyValidationException>(() => builder.Build()).Errors);

    private static TopologyBuilder WithRouter(Action<RouterBuilder> configure) => new TopologyBuilder().Router("r", configure);

    [Fact]
    public void Single_host_ports_may_share_an_address_and_subnet()
    {
        var topology = WithRouter(r => r
            .Port("vm1", mac: "02:00:00:00:00:01", address: "198.18.0.1/24", exterior: "t1", singleHost: true)
            .Port("vm2", mac: "02:00:00:00:00:02", address: "198.18.0.1/24", exterior: "t2", singleHost: true)
            .Port("vm3", mac: "02:00:00:00:00:03", address: "198.18.0.1/24", exterior: "t3", singleHost: true)
            .Route("198.18.0.30/32", port: "vm3"))
            .Build();

        var ports = topology.Device("r").Ports;
        Assert.Equal(3, ports.Count);
        Assert.All(ports, port => Assert.True(port.SingleHost));
        Assert.All(ports, port => Assert.Equal("198.18.0.1/24", port.Address.ToString()));
    }

    [Fact]
    public void Single_host_ports_may_have_nested_subnets_and_different_addresses()
    {
        var topology = WithRouter(r => r
            .Port("vm1", mac: "02:00:00:00:00:01", address: "198.18.0.1/24", exterior: "t1", singleHost: true)
            .Port("vm2", mac: "02:00:00:00:00:02", address: "198.18.0.129/25", exterior: "t2", singleHost: true))
            .Build();
        Assert.Equal(2, topology.Device("r").Ports.Count);
    }

    [Fact]
    public void A_normal_port_overlapping_a_single_host_port_is_rejected_naming_the_port_and_field()
    {
        var error = Single(WithRouter(r => r
            .Port("vm1", mac: "02:00:00:00:00:01", address: "198.18.0.1/24", exterior: "t1", singleHost: true)
            .Port("up", mac: "02:00:00:00:00:02", address: "198.18.0.1/24", exterior: "t2")));

        Assert.Equal("router 'r' port 'up'", error.Object);
        Assert.Equal("address", error.Field);
        Assert.Equal("198.18.0.1/24 overlaps port 'vm1' (198.18.0.1/24); only single-host ports may share a subnet, and one of these is not", error.Message);
    }

    [Fact]
    public void A_single_host_port_overlapping_an_earlier_normal_port_is_rejected_too()
    {
        var error = Single(WithRouter(r => r
            .Port("up", mac: "02:00:00:00:00:02", address: "198.18.0.0/16", exterior: "t2")
            .Port("vm1", mac: "02:00:00:00:00:01", address: "198.18.0.1/24", exterior: "t1", singleHost: true)));

        Assert.Equal("router 'r' port 'vm1'", error.Object);
        Assert.Equal("address", error.Field);
        Assert.StartsWith("198.18.0.1/24 overlaps port 'up' (198.18.0.0/16)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlapping_normal_ports_keep_the_plain_message()
    {
        var error = Single(WithRouter(r => r
            .Port("net1", mac: "02:00:00:00:00:01", address: "198.18.1.1/24", exterior: "t1")
            .Port("net2", mac: "02:00:00:00:00:02", address: "198.18.1.9/24", exterior: "t2")));
        Assert.Equal("router 'r' port 'net2' field 'address': 198.18.1.9/24 overlaps port 'net1' (198.18.1.1/24)", error.ToString());
    }

    [Fact]
    public void Single_host_ports_sharing_an_address_must_share_its_prefix_length()
    {
        var error = Single(WithRouter(r => r
            .Port("vm1", mac: "02:00:00:00:00:01", address: "198.18.0.1/24", exterior: "t1", singleHost: true)
            .Port("vm2", mac: "02:00:00:00:00:02", address: "198.18.0.1/25", exterior: "t2", singleHost: true)));

        Assert.Equal("router 'r' port 'vm2'", error.Object);
        Assert.Equal("address", error.Field);
        Assert.Contains("has the address of single-host port 'vm1' (198.18.0.1/24) with another prefix length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_topology_with_shared_single_host_ports_round_trips_through_YAML()
    {
        var topology = new TopologyBuilder()
            .Router("r", r => r
                .Port("vm1", mac: "02:00:00:00:00:01", address: "198.18.0.1/24", exterior: "t1", singleHost: true)
                .Port("vm2", mac: "02:00:00:00:00:02", address: "198.18.0.1/24", exterior: "t2", singleHost: true)
                .Port("up", mac: "02:00:00:00:00:09", address: "198.18.9.1/24", exterior: "t9")
                .Route("198.18.0.20/32", port: "vm2"))
            .Build();

        string yaml = TopologyFile.ToYaml(topology);
        var parsed = TopologyFile.Parse(yaml);

        TwoTenants.AssertSame(topology, parsed);
        Assert.Equal([true, true, false], parsed.Device("r").Ports.Select(port => port.SingleHost));
    }
}
