using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Protocols;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;

namespace NetFabric.Simulation.Tests.Engine;

using NetFabric.Simulation.Topology;

/// <summary>
/// The cache-transparency property over a routed topology: two subnets, a bridge each, a router between them.
/// Random UDP (to VMs of either subnet, to the router, with unicast, unknown or broadcast destination MACs and
/// TTLs that do or do not run out), ARP requests, MAC moves, and configuration changes (a reject route, a bridge
/// port) interleave; the frames every VM receives with flow caching must equal those received when every packet
/// is simulated from scratch. It covers what the two-bridge property cannot: routed rewrites, TTL expiry through
/// cached flows, ICMP errors, ARP suppression and floods whose branches cross the router.
/// </summary>
public class RoutedCacheTransparencyTests
{
    private static readonly string[] Addresses = ["198.18.1.10", "198.18.1.11", "198.18.2.20", "198.18.2.40"];
    private static readonly MacAddress[] Gateways = [MacAddress.Parse("02:00:00:00:01:01"), MacAddress.Parse("02:00:00:00:02:01")];

    private static MacAddress Mac(int vm) => new(0x0200_0000_0000UL | (uint)vm);

    private static IPv4Address Ip(int vm) => IPv4Address.Parse(Addresses[vm - 1]);

    private static int Subnet(int vm) => vm <= 2 ? 0 : 1;

    private static TopologySnapshot Topology() => new TopologyBuilder()
        .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("vm2", exterior: "vm2").Port("uplink")
            .StaticArp(Addresses[0], Mac(1).ToString()).StaticArp(Addresses[1], Mac(2).ToString()))
        .Bridge("br2", b => b.Port("vm3", exterior: "vm3").Port("vm4", exterior: "vm4").Port("uplink")
            .StaticArp(Addresses[2], Mac(3).ToString()).StaticArp(Addresses[3], Mac(4).ToString()))
        .Router("r1", r => r
            .Port("p1", mac: Gateways[0].ToString(), address: "198.18.1.1/24")
            .Port("p2", mac: Gateways[1].ToString(), address: "198.18.2.1/24"))
        .Link("br1/uplink", "r1/p1")
        .Link("br2/uplink", "r1/p2")
        .Build();

    /// <summary>What a VM's MAC sends: a UDP datagram or an ARP request.</summary>
    public enum Kind { UnicastUdp, GatewayUdp, UnknownMacUdp, BroadcastUdp, ArpRequest, ToRouterUdp }

    /// <summary>One step: a frame from VM <c>From</c>'s addresses, sent from VM <c>Port</c>'s port, or a change.</summary>
    public sealed record Step(Kind Kind, int From, int To, int Port, byte Ttl, ushort UdpPort, int Change);

    private static readonly Arbitrary<Step[]> Steps = Arb.From(Gen.ArrayOf(
        from kind in Gen.Elements(Enum.GetValues<Kind>())
        from source in Gen.Choose(1, 4)
        from target in Gen.Choose(1, 4)
        from port in Gen.Frequency((4, Gen.Constant(0)), (1, Gen.Choose(1, 4)))
        from ttl in Gen.Elements<byte>(1, 2, 64)
        from udp in Gen.Elements<ushort>(1000, 2000)
        from change in Gen.Frequency((12, Gen.Constant(0)), (1, Gen.Choose(1, 2)))
        select new Step(kind, source, target, port == 0 ? source : port, ttl, udp, change)));

    private static byte[] Frame(Step step)
    {
        var frame = new byte[128];
        var source = Mac(step.From);
        var sourceIp = Ip(step.From);
        var targetIp = step.Kind == Kind.ToRouterUdp ? IPv4Address.Parse(Subnet(step.To) == 0 ? "198.18.1.1" : "198.18.2.1") : Ip(step.To);
        if (step.Kind == Kind.ArpRequest)
            return frame[..ArpFrames.WriteRequest(frame, source, sourceIp, step.To == step.From ? IPv4Address.Parse(Subnet(step.From) == 0 ? "198.18.1.1" : "198.18.2.1") : targetIp)];
        var destination = step.Kind switch
        {
            Kind.UnicastUdp => Mac(step.To),
            Kind.GatewayUdp or Kind.ToRouterUdp => Gateways[Subnet(step.From)],
            Kind.UnknownMacUdp => Mac(0x99),
            _ => MacAddress.Broadcast,
        };
        return frame[..IpFrames.WriteUdp(frame, source, destination, sourceIp, targetIp, 4000, step.UdpPort, new byte[8], step.Ttl)];
    }

    private static TopologySnapshot Apply(TopologySnapshot topology, int change) => change switch
    {
        // A reject route over vm4's address: its traffic gets admin-prohibited, then flows again.
        1 => topology.WithChanges(b => b.EditRouter("r1", r =>
        {
            if (topology.Device("r1") is RouterDefinition { Routes.Count: > 0 }) r.ClearRoutes();
            else r.Route("198.18.2.32/27", type: RouteType.Reject);
        })),
        _ => topology.WithChanges(b => b.EditBridge("br2", bridge =>
        {
            if (topology.Device("br2").FindPort("spare") is not null) bridge.RemovePort("spare");
            else bridge.Port("spare", exterior: "spare-tap");
        })),
    };

    [Property(MaxTest = 100)]
    public Property Cached_routed_decisions_deliver_the_same_frames_as_simulating_every_packet_from_scratch() =>
        Prop.ForAll(Steps, steps => CacheTransparency.Check(Topology(), steps,
            (topology, step) => step.Change != 0 ? Apply(topology, step.Change) : null,
            step => ($"vm{step.Port}", Frame(step))));
}
