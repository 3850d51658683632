using NetFabric.Datapath.Protocols;

namespace NetFabric.Simulation.Tests.Topology;

using NetFabric.Simulation.Topology;

/// The routed scenario many tests share: vm1 on bridge br1 (198.18.1.0/24) and vm2 on bridge br2
/// (198.18.2.0/24), joined by router r1 (p1 198.18.1.1, p2 198.18.2.1). A test adds what it needs on top with
/// <see cref="TopologyBuilder.EditBridge"/> and <see cref="TopologyBuilder.EditRouter"/>.
internal static class TwoSubnets
{
    public static readonly MacAddress Vm1Mac = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress Vm2Mac = MacAddress.Parse("02:00:00:00:00:14");
    public static readonly MacAddress GatewayMac1 = MacAddress.Parse("02:00:00:00:01:01");
    public static readonly MacAddress GatewayMac2 = MacAddress.Parse("02:00:00:00:02:01");
    public static readonly IPv4Address Vm1Ip = IPv4Address.Parse("198.18.1.10");
    public static readonly IPv4Address Vm2Ip = IPv4Address.Parse("198.18.2.20");
    public static readonly IPv4Address Gateway1Ip = IPv4Address.Parse("198.18.1.1");
    public static readonly IPv4Address Gateway2Ip = IPv4Address.Parse("198.18.2.1");

    /// The topology, with vm1's and vm2's exterior interfaces named <paramref name="vm1Exterior"/> and
    /// <paramref name="vm2Exterior"/>.
    public static TopologyBuilder Builder(string vm1Exterior = "vm1", string vm2Exterior = "vm2") => new TopologyBuilder()
        .Bridge("br1", b => b.Port("vm1", exterior: vm1Exterior).Port("uplink"))
        .Bridge("br2", b => b.Port("vm2", exterior: vm2Exterior).Port("uplink"))
        .Router("r1", r => r
            .Port("p1", mac: "02:00:00:00:01:01", address: "198.18.1.1/24")
            .Port("p2", mac: "02:00:00:00:02:01", address: "198.18.2.1/24"))
        .Link("br1/uplink", "r1/p1")
        .Link("br2/uplink", "r1/p2");
}
