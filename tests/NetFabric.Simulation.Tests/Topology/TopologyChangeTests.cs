namespace NetFabric.Simulation.Tests.Topology;

using NetFabric.Simulation.Topology;

public class TopologyChangeTests
{
    [Fact]
    public void An_unchanged_successor_has_the_next_version_equal_definitions_and_no_changed_tags()
    {
        var topology = TwoTenants.Build();
        var same = topology.WithChanges(_ => { });

        Assert.Equal(2, same.Version);
        TwoTenants.AssertSame(topology, same);
        Assert.Empty(topology.ChangedTags(same));
    }

    [Fact]
    public void Changing_one_routers_route_yields_exactly_that_routers_tag()
    {
        var topology = TwoTenants.Build();
        var changed = topology.WithChanges(t => t.EditRouter("tenant-a", r => r.RemoveRoute("0.0.0.0/0").Route("0.0.0.0/0", port: "uplink", gateway: "198.18.10.1", weight: 5)));

        Assert.Equal([topology.Device("tenant-a").Id.Tag], topology.ChangedTags(changed));
        Assert.Equal(5, ((RouterDefinition)changed.Device("tenant-a")).Routes.Single(r => r.Destination.Length == 0).Weight);
    }

    [Fact]
    public void Adding_a_port_yields_the_devices_tag()
    {
        var topology = TwoTenants.Build();
        var changed = topology.WithChanges(t => t.EditBridge("tenant-b-net1", b => b.Port("vm5", exterior: "vm5-tap", host: "host-3")));

        Assert.Equal([topology.Device("tenant-b-net1").Id.Tag], topology.ChangedTags(changed));
        var vm5 = changed.Port("tenant-b-net1/vm5");
        Assert.DoesNotContain(vm5.Id, topology.Ports.Keys);
    }

    [Fact]
    public void Changing_a_port_yields_its_tag_and_its_devices_tag()
    {
        var topology = TwoTenants.Build();
        var changed = topology.WithChanges(t => t.EditBridge("tenant-a-net1", b => b.RemovePort("vm2").Port("vm2", exterior: "vm2-tap", host: "host-2", vlan: 20)));

        var vm2 = topology.Port("tenant-a-net1/vm2");
        Assert.Equal(vm2.Id, changed.Port("tenant-a-net1/vm2").Id);   // same name, same id
        Assert.Equal([vm2.Device.Tag, vm2.Id.Tag], topology.ChangedTags(changed).Order());
    }

    [Fact]
    public void Removing_a_device_yields_its_tag_its_ports_tags_and_its_peers()
    {
        var topology = TwoTenants.Build();
        var changed = topology.WithChanges(t => t.Remove("tenant-b").Remove("tenant-b-net1").EditRouter("provider", r => r.RemovePort("to-b").RemoveRoute("198.18.2.0/23")));

        var removed = new[] { "tenant-b", "tenant-b-net1", "provider" }.Select(name => topology.Device(name)).ToList();
        var expected = removed.Select(d => d.Id.Tag)
            .Concat(removed.Where(d => d.Name != "provider").SelectMany(d => d.Ports).Select(p => p.Id.Tag))
            .Append(topology.Port("provider/to-b").Id.Tag)
            .Order();
        Assert.Equal(expected, topology.ChangedTags(changed).Order());
        Assert.False(changed.TryGetDevice("tenant-b", out _));
    }

    [Fact]
    public void Relinking_ports_changes_both_ends_and_their_devices_only()
    {
        var topology = new TopologyBuilder()
            .Bridge("a", b => b.Port("p")).Bridge("b", b => b.Port("q"))
            .Bridge("c", b => b.Port("s")).Bridge("d", b => b.Port("t"))
            .Bridge("e", b => b.Port("untouched", exterior: "tap"))
            .Link("a/p", "b/q").Link("c/s", "d/t")
            .Build();
        var changed = topology.WithChanges(t => t.Unlink("a/p").Unlink("c/s").Link("a/p", "c/s").Link("b/q", "d/t"));

        Assert.Equal(changed.Port("c/s").Id, changed.Port("a/p").Peer);
        var expected = new[] { "a/p", "b/q", "c/s", "d/t" }.Select(topology.Port).SelectMany(p => new[] { p.Id.Tag, p.Device.Tag }).Order();
        Assert.Equal(expected, topology.ChangedTags(changed).Order());
    }

    [Fact]
    public void An_invalid_change_throws_and_leaves_the_original_untouched()
    {
        var topology = TwoTenants.Build();
        var exception = Assert.Throws<TopologyValidationException>(() => topology.WithChanges(t => t.Unlink("provider/to-a")));

        Assert.Equal(2, exception.Errors.Count);   // both ends are now interior ports without a peer
        Assert.Equal(1, topology.Version);
        Assert.NotNull(topology.PeerOf(topology.Port("provider/to-a").Id));
    }

    [Fact]
    public void A_new_device_gets_a_fresh_id_never_used_before()
    {
        var topology = TwoTenants.Build();
        var changed = topology.WithChanges(t => t.Remove("tenant-b").Remove("tenant-b-net1")
            .EditRouter("provider", r => r.RemovePort("to-b").RemoveRoute("198.18.2.0/23"))
            .Bridge("tenant-c", b => b.Port("vm", exterior: "vmc-tap")));

        var fresh = changed.Device("tenant-c");
        var used = topology.Devices.Select(d => d.Id.Value).Concat(topology.Ports.Keys.Select(p => p.Value));
        Assert.DoesNotContain(fresh.Id.Value, used);
        Assert.Contains(fresh.Id.Tag, topology.ChangedTags(changed));
        Assert.Equal(2, changed.Version);
    }
}
