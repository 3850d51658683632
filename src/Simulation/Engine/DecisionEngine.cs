using Microsoft.Extensions.ObjectPool;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Pipeline;
using NetFabric.Simulation.Devices;
using NetFabric.Simulation.State;
using NetFabric.Simulation.Topology;

namespace NetFabric.Simulation.Engine;

/// <summary>
/// The decision engine (seed 001 §2–3): on a flow miss it simulates the packet through the virtual topology —
/// ingress exterior port → device → interior port → peer device … → egress exterior port(s) — and returns a
/// wildcard flow that matches exactly the key bytes the devices read, with the aggregate of their header changes
/// as actions and the tags of every device, port and state entry relied on. Thread-safe: workers call it
/// concurrently; per-miss contexts come from a pool.
/// </summary>
/// <remarks>
/// Current scope: bridges and any <see cref="IVirtualDevice"/> registered with <see cref="Register"/>. A flood
/// reaching other devices is simulated branch by branch on one context, so branches must not rewrite headers
/// (true of L2 topologies); routers and per-branch rewrites come next.
/// </remarks>
public sealed class DecisionEngine : IFlowResolver, IDisposable
{
    /// <summary>Most devices a packet may traverse before it is dropped as looping.</summary>
    public const int HopLimit = 16;

    private readonly IReadOnlyDictionary<string, uint> _interfaces;
    private readonly IStateStore _store;
    // Tables whose change events this engine already forwards to its flow cache (a table outlives a device rebuild).
    private readonly HashSet<object> _subscribed = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _updateLock = new();
    // Everything a simulation reads, swapped as one reference so a simulation sees one consistent version.
    private volatile EngineState _state;
    private readonly ObjectPool<SimulationContext> _contexts = new DefaultObjectPool<SimulationContext>(new DefaultPooledObjectPolicy<SimulationContext>());
    private long _loops;

    /// <summary>
    /// Creates an engine for <paramref name="topology"/>; <paramref name="interfaces"/> maps each exterior port's
    /// <see cref="PortDefinition.HostInterface"/> on this host to its datapath port number. Exterior ports bound to
    /// interfaces not in the map live on other hosts and are not reachable here yet.
    /// </summary>
    /// <param name="topology">The topology to simulate.</param>
    /// <param name="interfaces">Host interface name → datapath port number, for the exterior ports on this host.</param>
    /// <param name="state">Where learned MAC tables and ARP caches live; engines sharing a store share what they learn
    /// (default: a private in-process store).</param>
    public DecisionEngine(TopologySnapshot topology, IReadOnlyDictionary<string, uint> interfaces, IStateStore? state = null)
    {
        _interfaces = interfaces;
        _store = state ?? new InProcessStateStore();
        _state = BuildState(topology, new Dictionary<DeviceId, IVirtualDevice>(), changed: null);
    }

    private sealed record EngineState(TopologySnapshot Topology, Dictionary<DeviceId, IVirtualDevice> Devices, Dictionary<uint, PortId> Ingress, Dictionary<PortId, uint> Egress);

    // Devices whose definition did not change keep their simulation (and learned state); changed and new bridges
    // start afresh; devices that are gone are dropped. Custom devices stay registered while their id exists.
    private EngineState BuildState(TopologySnapshot topology, Dictionary<DeviceId, IVirtualDevice> previous, IReadOnlySet<ulong>? changed)
    {
        var devices = new Dictionary<DeviceId, IVirtualDevice>();
        foreach (var definition in topology.Devices)
        {
            if (previous.TryGetValue(definition.Id, out var existing) && existing is Router oldRouter && definition is RouterDefinition changedRouter
                && changed is not null && Router.IsAffectedBy(changedRouter, topology, changed))
            {
                // A router whose ports, routes or link peers changed is rebuilt; it keeps what its ARP cache learned.
                devices[definition.Id] = CreateRouter(changedRouter, topology, oldRouter.ArpCache);
                continue;
            }
            if (previous.TryGetValue(definition.Id, out existing) && (changed is null || !changed.Contains(definition.Id.Tag) || existing is not Bridge))
            {
                devices[definition.Id] = existing;
                continue;
            }
            if (definition is BridgeDefinition bridge)
            {
                // A redefined bridge starts with an empty table (its ports may be gone); a new one may find state
                // another engine sharing the store already learned.
                if (previous.ContainsKey(bridge.Id)) _store.Forget(bridge.Id);
                devices[bridge.Id] = CreateBridge(bridge, topology);
            }
            else if (definition is RouterDefinition router) devices[router.Id] = CreateRouter(router, topology);
        }
        var ingress = new Dictionary<uint, PortId>();
        var egress = new Dictionary<PortId, uint>();
        foreach (var port in topology.Ports.Values)
        {
            if (port.Kind != PortKind.Exterior || port.HostInterface is null || !_interfaces.TryGetValue(port.HostInterface, out uint number)) continue;
            ingress[number] = port.Id;
            egress[port.Id] = number;
        }
        return new EngineState(topology, devices, ingress, egress);
    }

    private Bridge CreateBridge(BridgeDefinition definition, TopologySnapshot topology)
    {
        var device = new Bridge(definition.Id.Tag, definition.Name, [.. definition.Ports.Select(p => p.Id.Value)], _store.MacTable(definition.Id));
        foreach (var entry in definition.StaticMacs) device.MacTable.AddStatic(entry.Vlan ?? 0, entry.Mac, entry.Port.Value);
        // ARP suppression: linked router ports' addresses, then static ARP entries (which win).
        foreach (var port in definition.Ports)
            if (topology.PeerOf(port.Id) is { Mac: { } peerMac, Address: { } peerAddress } peer && topology.TryGetDevice(peer.Device, out var peerDevice) && peerDevice is RouterDefinition)
                device.AddArpEntry(peerAddress.Address, peerMac);
        foreach (var entry in definition.StaticArp) device.AddArpEntry(entry.Address, entry.Mac);
        if (_subscribed.Add(device.MacTable)) device.MacTable.EntryChanged += (vlan, mac) => Flows?.InvalidateByTag(device.MacTag(vlan, mac));
        device.ArpEntryChanged += address => Flows?.InvalidateByTag(device.ArpTag(address));
        return device;
    }

    private Router CreateRouter(RouterDefinition definition, TopologySnapshot topology, ArpCache? arpCache = null)
    {
        var device = new Router(definition, topology, arpCache ?? _store.ArpCache(definition.Id));
        if (_subscribed.Add(device.ArpCache)) device.ArpCache.EntryChanged += address => Flows?.InvalidateByTag(ArpCache.Tag(device.Id, address));
        return device;
    }

    /// <summary>How long after <see cref="Update"/> a second invalidation pass runs (see <see cref="Update"/>).</summary>
    public TimeSpan ConvergenceDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Switches to <paramref name="newer"/> (a later version of the topology) and invalidates exactly the cached
    /// flows tagged with a device or port whose definition changed. A changed bridge starts with an empty learned
    /// MAC table. Returns the number of flows invalidated by the first pass.
    /// </summary>
    /// <remarks>
    /// Convergence bound: a decision simulated against the old version can still be installed after the first
    /// pass (a worker was mid-miss). Such decisions are not cached when the version changed during their
    /// simulation, and a second pass <see cref="ConvergenceDelay"/> later removes any that slipped in between
    /// simulation and install, so every cached flow agrees with <paramref name="newer"/> within
    /// <see cref="ConvergenceDelay"/> (100 ms by default) of this call returning.
    /// </remarks>
    public int Update(TopologySnapshot newer)
    {
        ArgumentNullException.ThrowIfNull(newer);
        IReadOnlySet<ulong> changed;
        lock (_updateLock)
        {
            var current = _state;
            changed = current.Topology.ChangedTags(newer);
            _state = BuildState(newer, current.Devices, changed);
        }
        int invalidated = Invalidate(changed);
        if (Flows is not null && changed.Count > 0)
            _ = Task.Delay(ConvergenceDelay).ContinueWith(_ => Invalidate(changed), TaskScheduler.Default);
        return invalidated;
    }

    private int Invalidate(IReadOnlySet<ulong> tags)
    {
        var flows = Flows;
        if (flows is null) return 0;
        int count = 0;
        foreach (ulong tag in tags) count += flows.InvalidateByTag(tag);
        return count;
    }

    /// <summary>The topology being simulated.</summary>
    public TopologySnapshot Topology => _state.Topology;

    /// <summary>The flow cache to invalidate when learned state changes (usually the pipeline's <see cref="PacketPipeline.Flows"/>).</summary>
    public MegaflowClassifier? Flows { get; set; }

    /// <summary>Packets dropped because they looped past <see cref="HopLimit"/> devices.</summary>
    public long Loops => Interlocked.Read(ref _loops);

    /// <summary>Timeouts of drop flows: short, so a drop caused by a transient state does not linger.</summary>
    public FlowTimeouts DropTimeouts { get; init; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    /// <summary>Timeouts of forwarding flows.</summary>
    public FlowTimeouts Timeouts { get; init; } = FlowTimeouts.Default;

    /// <summary>Replaces the simulation of device <paramref name="id"/> with <paramref name="device"/> (a custom device), or adds one.</summary>
    public void Register(DeviceId id, IVirtualDevice device)
    {
        lock (_updateLock)
        {
            var current = _state;
            _state = current with { Devices = new Dictionary<DeviceId, IVirtualDevice>(current.Devices) { [id] = device } };
        }
        Invalidate(new HashSet<ulong> { id.Tag });
    }

    /// <summary>The device simulating <paramref name="id"/>.</summary>
    public IVirtualDevice Device(DeviceId id) => _state.Devices[id];

    /// <inheritdoc />
    public FlowResolution Resolve(in FlowKey key, PacketBuffer packet, ResolverReason reason)
    {
        var context = _contexts.Get();
        try
        {
            context.Reset(key, packet.IsNull ? default : packet.Data, ttlExpiry: reason == ResolverReason.TtlExpired);
            var state = _state;
            var result = Simulate(state, context, hops: null);
            if (result.Pending is TimeSpan retry) return FlowResolution.Pending(retry, [.. result.Emitted]);
            bool drop = result.Outputs.Count == 0;
            return new FlowDecision
            {
                Match = new FlowMatch(key, context.Mask),
                Actions = context.BuildActions(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(result.Outputs)),
                Tags = [.. context.Tags],
                Timeouts = drop ? DropTimeouts : Timeouts,
                Emit = result.Emitted.Count == 0 ? [] : [.. result.Emitted],
                // Not cached: a decision made against a version replaced meanwhile, and one that generated packets
                // (an ARP reply, an ICMP error): those answer this packet, not every packet the flow would match.
                Cacheable = reason == ResolverReason.Miss && ReferenceEquals(state, _state) && result.Emitted.Count == 0 && context.Emitted.Count == 0,
            };
        }
        finally
        {
            _contexts.Return(context);
        }
    }

    /// <summary>
    /// Simulates <paramref name="frame"/> arriving on datapath port <paramref name="inPort"/> and explains the
    /// decision hop by hop. Learning happens as for a real packet. Allocates: a diagnostic, not a hot path.
    /// </summary>
    public SimulationTrace Trace(uint inPort, ReadOnlySpan<byte> frame)
    {
        FlowKey.Extract(frame, inPort, out var key);
        var context = new SimulationContext();
        context.Reset(key, frame);
        var hops = new List<TraceHop>();
        var result = Simulate(_state, context, hops);
        var actions = context.BuildActions(result.Outputs.ToArray());
        string outcome = result.Pending is not null ? "pending" : result.Outputs.Count == 0 ? "drop" : $"output to {string.Join(", ", result.Outputs)}";
        if (result.Emitted.Count > 0) outcome += $"; emit {string.Join(", ", result.Emitted.Select(e => $"{e.Frame.Length} bytes to port {e.Port}"))}";
        return new SimulationTrace(key, hops, new FlowMatch(key, context.Mask), actions, [.. context.Tags], outcome);
    }

    private readonly record struct Result(List<uint> Outputs, TimeSpan? Pending, List<EmittedPacket> Emitted);

    private Result Simulate(EngineState state, SimulationContext context, List<TraceHop>? hops)
    {
        var outputs = context.Outputs;
        var emitted = context.EmittedPackets;
        // The ingress port always enters the match: which virtual port a packet arrived on decides everything.
        uint inPort = context.ReadInPort();
        if (!state.Ingress.TryGetValue(inPort, out var ingress))
        {
            hops?.Add(new TraceHop("(none)", $"datapath port {inPort}", VerdictKind.Drop, [], "no exterior port is bound to this datapath port"));
            return new Result(outputs, null, emitted);
        }
        TimeSpan? pending = null;
        Walk(state, context, ingress, 0, outputs, hops, ref pending);
        Deliver(state, context, 0, emitted, hops);
        return new Result(outputs, pending, emitted);
    }

    // Sends the packets devices generated: out of bound exterior ports as they are, or through the peer of an
    // interior port, simulated from there with the resulting actions applied to the frame.
    private void Deliver(EngineState state, SimulationContext context, int depth, List<EmittedPacket> emitted, List<TraceHop>? hops)
    {
        foreach (var (portId, frame) in context.Emitted)
        {
            var port = state.Topology.Port(new PortId(portId));
            if (port.Kind == PortKind.Exterior)
            {
                if (state.Egress.TryGetValue(port.Id, out uint number)) emitted.Add(new EmittedPacket(number, frame));
                continue;
            }
            if (state.Topology.PeerOf(port.Id) is not { } peer || depth >= HopLimit) continue;
            FlowKey.Extract(frame, 0, out var key);
            var generated = new SimulationContext();
            generated.Reset(key, frame);
            var outputs = new List<uint>();
            TimeSpan? pending = null;
            Walk(state, generated, peer.Id, depth + 1, outputs, hops, ref pending);
            if (outputs.Count > 0) emitted.AddRange(Apply(generated.BuildActions(outputs.ToArray()), frame));
            Deliver(state, generated, depth + 1, emitted, hops);
        }
    }

    // Runs an action program over a generated frame (slow path: a small private pool and a capturing sink).
    private List<EmittedPacket> Apply(ActionProgram program, byte[] frame)
    {
        var captured = new List<EmittedPacket>();
        lock (_scratch)
        {
            if (!_scratch.TryRent(out var buffer) || !buffer.TrySetLength(frame.Length))
            {
                if (!buffer.IsNull) buffer.Release();
                return captured;
            }
            frame.CopyTo(buffer.Data);
            program.Execute(buffer, new CapturingSink(captured));
        }
        return captured;
    }

    private readonly PacketPool _scratch = new(64);

    private sealed class CapturingSink(List<EmittedPacket> captured) : IActionSink
    {
        public void Output(uint port, PacketBuffer packet)
        {
            captured.Add(new EmittedPacket(port, packet.Data.ToArray()));
            packet.Release();
        }

        public void ToResolver(PacketBuffer packet, ResolverReason reason) => packet.Release();

        public void Drop(PacketBuffer packet, DropReason reason) => packet.Release();
    }

    private void Walk(EngineState state, SimulationContext context, PortId ingress, int depth, List<uint> outputs, List<TraceHop>? hops, ref TimeSpan? pending)
    {
        var topology = state.Topology;
        var definition = topology.DeviceOf(ingress);
        if (depth >= HopLimit || !state.Devices.TryGetValue(definition.Id, out var device))
        {
            if (depth >= HopLimit) Interlocked.Increment(ref _loops);
            hops?.Add(new TraceHop(definition.Name, topology.QualifiedName(ingress), VerdictKind.Drop, [],
                depth >= HopLimit ? $"hop limit {HopLimit} reached (a loop)" : "no simulation for this device"));
            return;
        }
        context.AddTag(definition.Id.Tag);
        context.AddTag(ingress.Tag);
        var verdict = device.Process(context, ingress.Value);
        hops?.Add(new TraceHop(device.Name, topology.QualifiedName(ingress), verdict.Kind,
            [.. verdict.Ports.Select(p => topology.QualifiedName(new PortId(p)))], verdict.Reason));
        switch (verdict.Kind)
        {
            case VerdictKind.Pending:
                pending = pending is TimeSpan existing && existing < verdict.RetryAfter ? existing : verdict.RetryAfter;
                return;
            case VerdictKind.Forward:
            case VerdictKind.Flood:
                foreach (ulong egressId in verdict.Ports)
                {
                    var egress = new PortId(egressId);
                    context.AddTag(egress.Tag);
                    var port = topology.Port(egress);
                    if (port.Kind == PortKind.Exterior)
                    {
                        if (state.Egress.TryGetValue(egress, out uint number) && !outputs.Contains(number)) outputs.Add(number);
                    }
                    else if (topology.PeerOf(egress) is { } peer)
                    {
                        Walk(state, context, peer.Id, depth + 1, outputs, hops, ref pending);
                    }
                }
                return;
            default:
                return;
        }
    }

    /// <summary>Frees the small native pool used to apply actions to generated packets.</summary>
    public void Dispose() => _scratch.Dispose();
}
