using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;
using IPv4Address = NetFabric.Datapath.Protocols.IPv4Address;

namespace NetFabric.Simulation.Tests.Engine;

using NetFabric.Simulation.Topology;

/// A topology harness in the MidoNet style: build a topology in code, attach each VM's exterior port to a ring
/// port of a real pipeline, inject frames, assert on what leaves which port.
internal sealed class VirtualNetwork : IDisposable
{
    private readonly Dictionary<string, RingPort> _vms = [];

    public VirtualNetwork(TopologySnapshot topology, bool cache = true, NetFabric.Simulation.State.IStateStore? state = null, TimeProvider? time = null)
    {
        Pool = new PacketPool(4096);
        Pipeline = new PacketPipeline(new PipelineOptions { Workers = 1, PinThreads = false, ExactMatchCacheEntries = cache ? 1024 : 0 });
        var interfaces = new Dictionary<string, uint>();
        foreach (var port in topology.Ports.Values.Where(p => p.HostInterface is not null).OrderBy(p => p.HostInterface))
        {
            var (vm, switchSide) = RingPort.CreatePair(port.HostInterface!, "dp-" + port.HostInterface, 256);
            _vms[port.HostInterface!] = vm;
            interfaces[port.HostInterface!] = Pipeline.AddPort(switchSide);
        }
        Engine = new DecisionEngine(topology, interfaces, state, time) { Flows = Pipeline.Flows };
        Pipeline.Resolver = Engine;
        Cache = cache;
    }

    public PacketPool Pool { get; }
    public PacketPipeline Pipeline { get; }
    public DecisionEngine Engine { get; }
    public bool Cache { get; }

    public void Send(string vm, byte[] frame)
    {
        Assert.True(Pool.TryRent(out var buffer));
        buffer.TrySetLength(frame.Length);
        frame.CopyTo(buffer.Data);
        _vms[vm].TxBurst(0, [buffer]);
        Pipeline.Poll();
        // Without caching every packet is simulated from scratch.
        if (!Cache) Pipeline.Flows.InvalidateAll();
    }

    public List<byte[]> Receive(string vm)
    {
        var received = new List<byte[]>();
        var buffers = new PacketBuffer[32];
        int count;
        while ((count = _vms[vm].RxBurst(0, buffers)) > 0)
            for (int i = 0; i < count; i++)
            {
                received.Add(buffers[i].Data.ToArray());
                buffers[i].Release();
            }
        return received;
    }

    /// Polls the pipeline every 250 ms (parked packets are retried on a poll) until <paramref name="vm"/> receives
    /// something or <paramref name="attempts"/> polls passed; what it received, or nothing.
    public List<byte[]> ReceiveAfterPolls(string vm, int attempts = 10)
    {
        for (int i = 0; i < attempts; i++)
        {
            Thread.Sleep(250);
            Pipeline.Poll();
            var received = Receive(vm);
            if (received.Count > 0) return received;
        }
        return [];
    }

    public IEnumerable<string> Vms => _vms.Keys;

    public void Dispose()
    {
        // Ports first: packets still waiting in them go back to their pools (the pipeline's emit pool included)
        // while those pools exist.
        foreach (var port in _vms.Values) port.Dispose();
        Pipeline.Dispose();
        Engine.Dispose();
        Pool.Dispose();
    }
}

public class DecisionEngineTests
{
    private static MacAddress Mac(int vm) => new(0x0200_0000_0000UL | (uint)vm);

    private static byte[] Udp(int from, int to, ushort port = 5000)
    {
        var frame = new byte[80];
        int length = IpFrames.WriteUdp(frame, Mac(from), to == 0 ? MacAddress.Broadcast : Mac(to), new IPv4Address(0xC612_0000u | (uint)from),
            new IPv4Address(0xC612_0000u | (uint)(to == 0 ? 255 : to)), port, port, new byte[10]);
        return frame[..length];
    }

    /// Two bridges joined by a link: vm1 and vm2 on br1, vm3 and vm4 on br2.
    private static TopologySnapshot TwoBridges() => new TopologyBuilder()
        .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("vm2", exterior: "vm2").Port("uplink"))
        .Bridge("br2", b => b.Port("vm3", exterior: "vm3").Port("vm4", exterior: "vm4").Port("downlink"))
        .Link("br1/uplink", "br2/downlink")
        .Build();

    [Fact]
    public void A_frame_to_an_unknown_MAC_floods_across_both_bridges_and_the_reply_is_unicast()
    {
        using var net = new VirtualNetwork(TwoBridges());
        var request = Udp(1, 3);
        net.Send("vm1", request);
        Assert.Equal(request, Assert.Single(net.Receive("vm2")));
        Assert.Equal(request, Assert.Single(net.Receive("vm3")));
        Assert.Equal(request, Assert.Single(net.Receive("vm4")));
        Assert.Empty(net.Receive("vm1"));

        var reply = Udp(3, 1);
        net.Send("vm3", reply);
        Assert.Equal(reply, Assert.Single(net.Receive("vm1")));
        Assert.Empty(net.Receive("vm2"));
        Assert.Empty(net.Receive("vm4"));

        // vm3 is now learned in both bridges: vm1 → vm3 is unicast too.
        net.Send("vm1", request);
        Assert.Single(net.Receive("vm3"));
        Assert.Empty(net.Receive("vm2"));
        Assert.Empty(net.Receive("vm4"));
    }

    [Fact]
    public void An_L2_flow_matches_no_L3_or_L4_field_and_carries_both_bridges_tags()
    {
        var topology = TwoBridges();
        using var net = new VirtualNetwork(topology);
        net.Send("vm3", Udp(3, 1));
        net.Receive("vm1");
        net.Send("vm1", Udp(1, 3));
        var flow = net.Pipeline.Flows.Entries.Single(e => e.Match.Key.EthernetSource == Mac(1));
        var mask = flow.Match.Mask.Bits;
        Assert.Equal(default, mask.NetworkSource);
        Assert.Equal(default, mask.NetworkDestination);
        Assert.Equal(0, mask.NetworkProtocol);
        Assert.Equal(0, mask.TransportSource);
        Assert.Equal(0, mask.TransportDestination);
        Assert.Equal(uint.MaxValue, mask.InPort);
        Assert.Contains(topology.Device("br1").Id.Tag, flow.Tags.ToArray());
        Assert.Contains(topology.Device("br2").Id.Tag, flow.Tags.ToArray());
        // Another port number or payload of the same MAC pair hits the same flow: no new upcall.
        long upcalls = net.Pipeline.Statistics.Upcalls;
        net.Send("vm1", Udp(1, 3, port: 6000));
        Assert.Equal(upcalls, net.Pipeline.Statistics.Upcalls);
        Assert.Equal(2, net.Receive("vm3").Count);
    }

    [Fact]
    public void Learning_a_MAC_invalidates_the_flows_that_flooded_towards_it()
    {
        using var net = new VirtualNetwork(TwoBridges());
        net.Send("vm1", Udp(1, 3));
        Assert.Single(net.Receive("vm2"));
        net.Send("vm3", Udp(3, 1)); // vm3 learned: the flood flow for 1 → 3 must die
        net.Receive("vm1");
        net.Send("vm1", Udp(1, 3));
        Assert.Empty(net.Receive("vm2"));
        Assert.True(net.Pipeline.Flows.Statistics.Invalidated > 0);
    }

    [Fact]
    public void A_topology_change_invalidates_exactly_the_flows_through_the_changed_device()
    {
        var topology = new TopologyBuilder()
            .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("vm2", exterior: "vm2"))
            .Bridge("br2", b => b.Port("vm3", exterior: "vm3").Port("vm4", exterior: "vm4"))
            .Build();
        using var net = new VirtualNetwork(topology);
        net.Send("vm1", Udp(1, 2));
        net.Send("vm3", Udp(3, 4));
        Assert.Equal(2, net.Pipeline.Flows.Count);

        var changed = topology.WithChanges(b => b.EditBridge("br2", bridge => bridge.Port("vm5", exterior: "vm5")));
        Assert.Equal(1, net.Engine.Update(changed));
        var survivor = Assert.Single(net.Pipeline.Flows.Entries);
        Assert.Equal(Mac(1), survivor.Match.Key.EthernetSource);
        Assert.Equal(changed.Version, net.Engine.Topology.Version);
    }

    /// A custom device: answers every packet by sending it back where it came from with the MACs swapped.
    private sealed class Reflector(ulong id) : IVirtualDevice
    {
        public ulong Id => id;
        public string Name => "reflector";

        public DeviceVerdict Process(SimulationContext context, ulong ingressPort)
        {
            var source = context.ReadEthernetSource();
            var reply = Udp(3, 1);
            MacAddress.Broadcast.Write(reply.AsSpan(0)); // to whoever asked: flooded back by the bridge
            source.Write(reply.AsSpan(0));
            context.Emit(ingressPort, reply);
            return DeviceVerdict.Consume("reflected");
        }
    }

    [Fact]
    public void A_registered_custom_device_takes_part_and_its_generated_packet_crosses_the_peer_bridge()
    {
        var topology = TwoBridges();
        using var net = new VirtualNetwork(topology);
        net.Engine.Register(topology.Device("br2").Id, new Reflector(topology.Device("br2").Id.Tag));
        net.Send("vm1", Udp(1, 3));
        // br1 floods: vm2 gets a copy, and the copy into br2 is reflected back through br1 to vm1.
        Assert.Single(net.Receive("vm2"));
        var reflected = Assert.Single(net.Receive("vm1"));
        Assert.Equal(Mac(1), MacAddress.Read(reflected));
        Assert.Empty(net.Receive("vm3"));
        // A decision that generated packets answers one packet: it is not cached.
        Assert.Equal(0, net.Pipeline.Flows.Count);
        Assert.Equal(1, net.Pipeline.Statistics.Emitted);
    }

    [Fact]
    public void Engines_sharing_a_state_store_share_what_their_bridges_learned()
    {
        var topology = new TopologyBuilder()
            .Bridge("br", b => b.Port("vm1", exterior: "vm1").Port("vm2", exterior: "vm2").Port("vm3", exterior: "vm3"))
            .Build();
        var store = new NetFabric.Simulation.State.InProcessStateStore();
        using var hostA = new VirtualNetwork(topology, state: store);
        using var hostB = new VirtualNetwork(topology, state: store);
        using var alone = new VirtualNetwork(topology);

        hostA.Send("vm1", Udp(1, 2)); // host A's bridge learns vm1's MAC into the shared store
        hostB.Send("vm2", Udp(2, 1)); // host B knows where vm1 is without having seen it
        Assert.Single(hostB.Receive("vm1"));
        Assert.Empty(hostB.Receive("vm3"));

        alone.Send("vm2", Udp(2, 1)); // an engine with its own store has to flood
        Assert.Single(alone.Receive("vm3"));
    }

    [Fact]
    public void A_loop_is_cut_at_the_hop_limit()
    {
        var looped = new TopologyBuilder()
            .Bridge("br1", b => b.Port("vm1", exterior: "vm1").Port("a").Port("b"))
            .Bridge("br2", b => b.Port("vm2", exterior: "vm2").Port("a").Port("b"))
            .Link("br1/a", "br2/a")
            .Link("br1/b", "br2/b")
            .Build();
        using var net = new VirtualNetwork(looped);
        net.Send("vm1", Udp(1, 0));
        Assert.NotEmpty(net.Receive("vm2"));
        Assert.True(net.Engine.Loops > 0);
    }

    [Fact]
    public void A_trace_names_every_bridge_the_packet_crossed_and_the_datapath_actions()
    {
        using var net = new VirtualNetwork(TwoBridges());
        var trace = net.Engine.Trace(1, Udp(1, 3));
        Assert.Equal(["br1", "br2"], trace.Hops.Select(h => h.Device));
        Assert.Equal("br1/vm1", trace.Hops[0].IngressPort);
        string text = trace.ToString();
        Assert.Contains("Flow: in_port=1", text);
        Assert.Contains("br2 (ingress port br2/downlink)", text);
        Assert.Contains("Datapath actions: output:2,output:3,output:4", text);
    }

    /// A step of a random scenario: a frame from one VM's MAC, sent from some VM's port (so MACs move too), or
    /// (when <see cref="Reconfigure"/>) a configuration change: br2 gains or loses a spare port.
    public sealed record Step(int FromMac, int ToMac, int Port, ushort UdpPort, bool Reconfigure);

    private static readonly Arbitrary<Step[]> Steps = Arb.From(Gen.ArrayOf(
        from mac in Gen.Choose(1, 4)
        from to in Gen.Choose(0, 4)
        from port in Gen.Choose(1, 4)
        from udp in Gen.Elements<ushort>(1000, 2000)
        from reconfigure in Gen.Frequency((1, Gen.Constant(true)), (7, Gen.Constant(false)))
        select new Step(mac, to, port, udp, reconfigure)));

    [Property(MaxTest = 100)]
    public Property Cached_decisions_deliver_the_same_frames_as_simulating_every_packet_from_scratch() =>
        Prop.ForAll(Steps, steps => CacheTransparency.Check(TwoBridges(), steps,
            (topology, step) => !step.Reconfigure ? null : topology.WithChanges(b => b.EditBridge("br2", bridge =>
            {
                // br2 gains or loses its spare port.
                if (topology.Device("br2").FindPort("spare") is not null) bridge.RemovePort("spare");
                else bridge.Port("spare", exterior: "spare-tap");
            })),
            step => ($"vm{step.Port}", Udp(step.FromMac, step.ToMac, step.UdpPort))));
}
