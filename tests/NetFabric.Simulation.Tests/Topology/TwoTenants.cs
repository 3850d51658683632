namespace NetFabric.Simulation.Tests.Topology;

using NetFabric.Simulation.Topology;

/// The provider/tenant example of seed 001 §16, once in code and once as a file: a provider router with an
/// Internet uplink, two tenant routers linked to it, tenant bridges with VMs on several hosts.
internal static class TwoTenants
{
    public static TopologyBuilder Builder() => new TopologyBuilder()
        .Bridge("tenant-a-net1", b => b
            .Port("vm1", exterior: "vm1-tap", host: "host-1")
            .Port("vm2", exterior: "vm2-tap", host: "host-2", vlan: 10)
            .Port("to-router")
            .StaticMac("02:00:00:00:01:10", port: "vm1")
            .StaticArp("198.18.1.10", "02:00:00:00:01:10"))
        .Bridge("tenant-b-net1", b => b
            .Port("vm4", exterior: "vm4-tap", host: "host-1")
            .Port("to-router"))
        .Router("provider", r => r
            .Port("uplink", mac: "02:00:00:00:00:01", address: "198.18.0.2/24", exterior: "afpacket:eth0", host: "edge-1")
            .Port("to-a", mac: "02:00:00:00:00:0a", address: "198.18.10.1/30")
            .Port("to-b", mac: "02:00:00:00:00:0b", address: "198.18.10.5/30")
            .Route("0.0.0.0/0", port: "uplink", gateway: "198.18.0.1")
            .Route("198.18.1.0/24", port: "to-a", gateway: "198.18.10.2")
            .Route("198.18.2.0/23", port: "to-b", gateway: "198.18.10.6", weight: 2)
            .Blackhole("198.19.0.0/16"))
        .Router("tenant-a", r => r
            .Port("uplink", mac: "02:00:00:00:0a:01", address: "198.18.10.2/30")
            .Port("net1", mac: "02:00:00:00:01:01", address: "198.18.1.1/24")
            .Route("0.0.0.0/0", port: "uplink", gateway: "198.18.10.1")
            .Route("198.18.1.0/24", port: "tenant-a/net1")
            .Route("198.18.2.0/23", source: "198.18.1.0/24", type: RouteType.Reject))
        .Router("tenant-b", r => r
            .Port("uplink", mac: "02:00:00:00:0b:01", address: "198.18.10.6/30")
            .Port("net1", mac: "02:00:00:00:02:01", address: "198.18.2.1/24")
            .Port("vm3", mac: "02:00:00:00:03:01", address: "198.18.3.1/24", exterior: "vm3-tap", host: "host-2", singleHost: true)
            .Route("0.0.0.0/0", port: "uplink", gateway: "198.18.10.5")
            .Route("198.18.2.0/24", port: "net1")
            .Route("198.18.3.0/24", port: "vm3"))
        .Link("provider/to-a", "tenant-a/uplink")
        .Link("provider/to-b", "tenant-b/uplink")
        .Link("tenant-a-net1/to-router", "tenant-a/net1")
        .Link("tenant-b-net1/to-router", "tenant-b/net1");

    public static TopologySnapshot Build() => Builder().Build();

    public const string Yaml = """
        # Two tenants behind one provider router (seed 001 §16).
        bridges:
          - name: tenant-a-net1
            ports:
              - { name: vm1, exterior: vm1-tap, host: host-1 }
              - { name: vm2, exterior: vm2-tap, host: host-2, vlan: 10 }
              - name: to-router
            static-macs:
              - { mac: "02:00:00:00:01:10", port: vm1 }
            static-arp:
              - { address: 198.18.1.10, mac: "02:00:00:00:01:10" }
          - name: tenant-b-net1
            ports:
              - { name: vm4, exterior: vm4-tap, host: host-1 }
              - { name: to-router }

        routers:
          - name: provider
            ports:
              - name: uplink
                mac: 02:00:00:00:00:01
                address: 198.18.0.2/24
                exterior: afpacket:eth0
                host: edge-1
              - { name: to-a, mac: "02:00:00:00:00:0a", address: 198.18.10.1/30 }
              - { name: to-b, mac: "02:00:00:00:00:0b", address: 198.18.10.5/30 }
            routes:
              - { destination: 0.0.0.0/0, port: uplink, gateway: 198.18.0.1 }
              - { destination: 198.18.1.0/24, port: to-a, gateway: 198.18.10.2 }
              - { destination: 198.18.2.0/23, port: to-b, gateway: 198.18.10.6, weight: 2 }
              - { destination: 198.19.0.0/16, type: blackhole }
          - name: tenant-a
            ports:
              - { name: uplink, mac: "02:00:00:00:0a:01", address: 198.18.10.2/30 }
              - { name: net1, mac: "02:00:00:00:01:01", address: 198.18.1.1/24 }
            routes:
              - { destination: 0.0.0.0/0, port: uplink, gateway: 198.18.10.1 }
              - { destination: 198.18.1.0/24, port: tenant-a/net1 }
              - { destination: 198.18.2.0/23, source: 198.18.1.0/24, type: reject }
          - name: tenant-b
            ports:
              - { name: uplink, mac: "02:00:00:00:0b:01", address: 198.18.10.6/30 }
              - { name: net1, mac: "02:00:00:00:02:01", address: 198.18.2.1/24 }
              - { name: vm3, mac: "02:00:00:00:03:01", address: 198.18.3.1/24, exterior: vm3-tap, host: host-2, single-host: true }
            routes:
              - { destination: 0.0.0.0/0, port: uplink, gateway: 198.18.10.5 }
              - { destination: 198.18.2.0/24, port: net1 }
              - { destination: 198.18.3.0/24, port: vm3 }

        links:
          - [provider/to-a, tenant-a/uplink]
          - [provider/to-b, tenant-b/uplink]
          - [tenant-a-net1/to-router, tenant-a/net1]
          - [tenant-b-net1/to-router, tenant-b/net1]
        """;

    /// Same ids, names and definitions, device by device.
    public static void AssertSame(TopologySnapshot expected, TopologySnapshot actual)
    {
        Assert.Equal(expected.Devices.Count, actual.Devices.Count);
        for (int i = 0; i < expected.Devices.Count; i++)
            Assert.Equal(expected.Devices[i], actual.Devices[i]);
    }
}
