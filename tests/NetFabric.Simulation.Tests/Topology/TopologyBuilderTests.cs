namespace NetFabric.Simulation.Tests.Topology;

using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Topology;

public class TopologyBuilderTests
{
    [Fact]
    public void A_first_build_is_version_1_and_lists_devices_in_declaration_order()
    {
        var topology = TwoTenants.Build();

        Assert.Equal(1, topology.Version);
        Assert.Equal(["tenant-a-net1", "tenant-b-net1", "provider", "tenant-a", "tenant-b"], topology.Devices.Select(d => d.Name));
        Assert.Equal(2, topology.Bridges.Count());
        Assert.Equal(3, topology.Routers.Count());
        Assert.Equal(13, topology.Ports.Count);
    }

    [Fact]
    public void Every_port_field_is_readable()
    {
        var topology = TwoTenants.Build();

        var vm2 = topology.Port("tenant-a-net1/vm2");
        Assert.Equal("vm2", vm2.Name);
        Assert.Equal(PortKind.Exterior, vm2.Kind);
        Assert.Equal("vm2-tap", vm2.HostInterface);
        Assert.Equal("host-2", vm2.Host);
        Assert.Equal(10, vm2.Vlan);
        Assert.Null(vm2.Peer);
        Assert.Null(vm2.Mac);
        Assert.Null(vm2.Address);
        Assert.Equal(topology.Device("tenant-a-net1").Id, vm2.Device);

        var vm3 = topology.Port("tenant-b/vm3");
        Assert.Equal(MacAddress.Parse("02:00:00:00:03:01"), vm3.Mac);
        Assert.Equal(IPv4Prefix.Parse("198.18.3.1/24"), vm3.Address);
        Assert.True(vm3.SingleHost);
        Assert.Null(vm3.Vlan);

        var toA = topology.Port("provider/to-a");
        Assert.Equal(PortKind.Interior, toA.Kind);
        Assert.Null(toA.HostInterface);
        Assert.Equal(topology.Port("tenant-a/uplink").Id, toA.Peer);
    }

    [Fact]
    public void Routes_and_static_entries_carry_every_field()
    {
        var topology = TwoTenants.Build();
        var provider = Assert.IsType<RouterDefinition>(topology.Device("provider"));
        var tenantA = Assert.IsType<RouterDefinition>(topology.Device("tenant-a"));
        var bridge = Assert.IsType<BridgeDefinition>(topology.Device("tenant-a-net1"));

        var toB = provider.Routes[2];
        Assert.Equal(IPv4Prefix.Parse("198.18.2.0/23"), toB.Destination);
        Assert.Equal(IPv4Address.Parse("198.18.10.6"), toB.Gateway);
        Assert.Equal(topology.Port("provider/to-b").Id, toB.EgressPort);
        Assert.Equal(2, toB.Weight);
        Assert.Equal(RouteType.Normal, toB.Type);
        Assert.Null(toB.Source);

        var blackhole = provider.Routes[3];
        Assert.Equal(RouteType.Blackhole, blackhole.Type);
        Assert.Null(blackhole.EgressPort);

        var reject = tenantA.Routes[2];
        Assert.Equal(RouteType.Reject, reject.Type);
        Assert.Equal(IPv4Prefix.Parse("198.18.1.0/24"), reject.Source);
        Assert.Equal(topology.Port("tenant-a/net1").Id, tenantA.Routes[1].EgressPort);   // "router/port" form
        Assert.Null(tenantA.Routes[1].Gateway);

        Assert.Equal([new StaticMacEntry(MacAddress.Parse("02:00:00:00:01:10"), null, topology.Port("tenant-a-net1/vm1").Id)], bridge.StaticMacs);
        Assert.Equal([new StaticArpEntry(IPv4Address.Parse("198.18.1.10"), MacAddress.Parse("02:00:00:00:01:10"))], bridge.StaticArp);
    }

    [Fact]
    public void Lookups_find_the_device_of_a_port_its_peer_and_the_port_bound_to_an_interface()
    {
        var topology = TwoTenants.Build();
        var toRouter = topology.Port("tenant-b-net1/to-router");

        Assert.Equal("tenant-b-net1", topology.DeviceOf(toRouter.Id).Name);
        Assert.Equal(topology.Port("tenant-b/net1"), topology.PeerOf(toRouter.Id));
        Assert.Equal(toRouter, topology.PeerOf(topology.Port("tenant-b/net1").Id));
        Assert.Null(topology.PeerOf(topology.Port("tenant-b-net1/vm4").Id));
        Assert.Equal("tenant-b-net1/to-router", topology.QualifiedName(toRouter.Id));

        Assert.Equal(topology.Port("provider/uplink"), topology.ExteriorPort("afpacket:eth0", "edge-1"));
        Assert.Equal(topology.Port("tenant-a-net1/vm1"), topology.ExteriorPort("vm1-tap", "host-1"));
        Assert.Null(topology.ExteriorPort("vm1-tap", "host-2"));
        Assert.Null(topology.ExteriorPort("nothing"));

        Assert.True(topology.TryGetDevice(toRouter.Device, out var device));
        Assert.Equal("tenant-b-net1", device.Name);
        Assert.False(topology.TryGetDevice("nobody", out _));
        Assert.False(topology.TryGetPort("provider/nothing", out _));
        Assert.False(topology.TryGetPort("no-slash", out _));
        Assert.Throws<KeyNotFoundException>(() => topology.Port("nobody/port"));
    }

    [Fact]
    public void Ids_are_distinct_and_device_and_port_tags_never_collide()
    {
        var topology = TwoTenants.Build();
        var deviceTags = topology.Devices.Select(d => d.Id.Tag).ToList();
        var portTags = topology.Ports.Keys.Select(p => p.Tag).ToList();

        Assert.Equal(deviceTags.Count, deviceTags.Distinct().Count());
        Assert.Equal(portTags.Count, portTags.Distinct().Count());
        Assert.Empty(deviceTags.Intersect(portTags));
        Assert.NotEqual(new DeviceId(7).Tag, new PortId(7).Tag);
    }

    [Fact]
    public void Building_the_same_declaration_twice_gives_equal_definitions()
    {
        TwoTenants.AssertSame(TwoTenants.Build(), TwoTenants.Build());
    }
}
