using NetFabric.Simulation.Topology;

namespace NetFabric.Samples.VSwitchHost.Demo;

/// <summary>
/// The demo's virtual network (seed 001 §16 in small): a provider router joining two tenants; each tenant has a
/// router and two bridges (subnets) with two VMs each, on host interfaces vm1 … vm8.
/// </summary>
public static class DemoTopology
{
    /// <summary>The VMs: name, MAC, address with prefix, gateway.</summary>
    public static readonly (string Name, string Mac, string Address, string Gateway)[] Vms =
    [
        ("vm1", "02:00:00:00:01:0a", "198.18.1.10/24", "198.18.1.1"),
        ("vm2", "02:00:00:00:01:0b", "198.18.1.11/24", "198.18.1.1"),
        ("vm3", "02:00:00:00:02:0a", "198.18.2.10/24", "198.18.2.1"),
        ("vm4", "02:00:00:00:02:0b", "198.18.2.11/24", "198.18.2.1"),
        ("vm5", "02:00:00:00:03:0a", "198.18.3.10/24", "198.18.3.1"),
        ("vm6", "02:00:00:00:03:0b", "198.18.3.11/24", "198.18.3.1"),
        ("vm7", "02:00:00:00:04:0a", "198.18.4.10/24", "198.18.4.1"),
        ("vm8", "02:00:00:00:04:0b", "198.18.4.11/24", "198.18.4.1"),
    ];

    /// <summary>Builds the topology.</summary>
    public static TopologySnapshot Build() => new TopologyBuilder()
        .Bridge("a-net1", b => b.Port("vm1", exterior: "vm1").Port("vm2", exterior: "vm2").Port("router"))
        .Bridge("a-net2", b => b.Port("vm3", exterior: "vm3").Port("vm4", exterior: "vm4").Port("router"))
        .Bridge("b-net3", b => b.Port("vm5", exterior: "vm5").Port("vm6", exterior: "vm6").Port("router"))
        .Bridge("b-net4", b => b.Port("vm7", exterior: "vm7").Port("vm8", exterior: "vm8").Port("router"))
        .Router("tenant-a", r => r
            .Port("uplink", mac: "02:00:00:00:a0:01", address: "198.18.100.2/30")
            .Port("net1", mac: "02:00:00:00:01:01", address: "198.18.1.1/24")
            .Port("net2", mac: "02:00:00:00:02:01", address: "198.18.2.1/24")
            .Route("0.0.0.0/0", port: "uplink", gateway: "198.18.100.1"))
        .Router("tenant-b", r => r
            .Port("uplink", mac: "02:00:00:00:b0:01", address: "198.18.100.6/30")
            .Port("net3", mac: "02:00:00:00:03:01", address: "198.18.3.1/24")
            .Port("net4", mac: "02:00:00:00:04:01", address: "198.18.4.1/24")
            .Route("0.0.0.0/0", port: "uplink", gateway: "198.18.100.5"))
        .Router("provider", r => r
            .Port("to-a", mac: "02:00:00:00:00:0a", address: "198.18.100.1/30")
            .Port("to-b", mac: "02:00:00:00:00:0b", address: "198.18.100.5/30")
            .Route("198.18.1.0/24", port: "to-a", gateway: "198.18.100.2")
            .Route("198.18.2.0/24", port: "to-a", gateway: "198.18.100.2")
            .Route("198.18.3.0/24", port: "to-b", gateway: "198.18.100.6")
            .Route("198.18.4.0/24", port: "to-b", gateway: "198.18.100.6"))
        .Link("a-net1/router", "tenant-a/net1")
        .Link("a-net2/router", "tenant-a/net2")
        .Link("b-net3/router", "tenant-b/net3")
        .Link("b-net4/router", "tenant-b/net4")
        .Link("tenant-a/uplink", "provider/to-a")
        .Link("tenant-b/uplink", "provider/to-b")
        .Build();
}
