using Microsoft.Extensions.ObjectPool;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Pipeline;
using NetFabric.Simulation.Devices;
using NetFabric.Simulation.Invalidation;
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
/// A flood is simulated branch by branch on one context: each branch starts from the packet as it was where the
/// flood forked, its changes (a router's rewrites, a VLAN tag) apply to its own outputs only, and the reads and
/// tags of every branch join the one flow. Branches whose changes differ become <c>clone</c> actions.
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
    private readonly InvalidationLog _invalidations = new();

    /// <summary>
    /// Creates an engine for <paramref name="topology"/>; <paramref name="interfaces"/> maps each exterior port's
    /// <see cref="PortDefinition.HostInterface"/> on this host to its datapath port number. Exterior ports bound to
    /// interfaces not in the map live on other hosts and are not reachable here yet.
    /// </summary>
    /// <param name="topology">The topology to simulate.</param>
    /// <param name="interfaces">Host interface name → datapath port number, for the exterior ports on this host.</param>
    /// <param name="state">Where learned MAC tables and ARP caches live; engines sharing a store share what they learn
    /// (default: a private in-process store).</param>
    /// <param name="time">The clock of MAC ageing (the system clock by default).</param>
    public DecisionEngine(TopologySnapshot topology, IReadOnlyDictionary<string, uint> interfaces, IStateStore? state = null, TimeProvider? time = null)
    {
        _interfaces = interfaces;
        _store = state ?? new InProcessStateStore(time);
        _time = time ?? TimeProvider.System;
        _state = BuildState(topology, new Dictionary<DeviceId, IVirtualDevice>(), changed: null);
        _ageing = _time.CreateTimer(_ => Age(), null, AgeingInterval, AgeingInterval);
    }

    private readonly TimeProvider _time;
    private readonly ITimer _ageing;

    /// <summary>How often learned state is aged (<see cref="Age"/>): once a second.</summary>
    public static readonly TimeSpan AgeingInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a learned MAC entry, or a bridge's learned IP → MAC entry, that no cached flow relies on is kept
    /// (300 s by default, as hardware switches age MACs). An entry some flow relies on never ages: the flow's own
    /// idle timeout ends it when traffic stops. Seeing the entry again in traffic the bridge simulates makes it current.
    /// </summary>
    public TimeSpan MacAgeingTime { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// One ageing pass over learned state, run every <see cref="AgeingInterval"/> (callable directly, e.g. by
    /// tests with their own clock): bridges forget MACs and IP → MAC entries no cached flow has relied on for <see cref="MacAgeingTime"/>
    /// (an entry's reference count is the number of cached flows carrying its tag), and routers forget ARP entries
    /// past their lifetime — either way the flows that relied on the entry are invalidated. Returns the number of
    /// entries forgotten.
    /// </summary>
    public int Age()
    {
        var flows = Flows;
        var now = _time.GetUtcNow();
        int forgotten = 0;
        foreach (var device in _state.Devices.Values)
        {
            if (device is Bridge bridge)
            {
                forgotten += bridge.MacTable.Age(now, MacAgeingTime, (vlan, mac) => flows is not null && flows.CountByTag(bridge.MacTag(vlan, mac)) > 0);
                forgotten += bridge.AgeArpEntries(now, MacAgeingTime, (vlan, address) => flows is not null && flows.CountByTag(bridge.ArpTag(vlan, address)) > 0);
            }
            else if (device is Router router)
                forgotten += router.ArpCache.Expire();
        }
        return forgotten;
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
                devices[definition.Id] = CreateRouter(changedRouter, topology, oldRouter.ArpCache, oldRouter.HostLocations);
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
        var device = new Bridge(definition.Id.Tag, definition.Name, [.. definition.Ports.Select(p => p.Id.Value)], _store.MacTable(definition.Id),
            definition.Ports.Where(p => p.Vlan is not null).ToDictionary(p => p.Id.Value, p => p.Vlan!.Value));
        foreach (var entry in definition.StaticMacs) device.MacTable.AddStatic(entry.Vlan ?? 0, entry.Mac, entry.Port.Value);
        // ARP suppression: linked router ports' addresses (in the VLAN of the bridge port they link to), then static
        // ARP entries (which win; they name no VLAN, so they go into VLAN 0 and every access VLAN).
        foreach (var port in definition.Ports)
            if (topology.PeerOf(port.Id) is { Mac: { } peerMac, Address: { } peerAddress } peer && topology.TryGetDevice(peer.Device, out var peerDevice) && peerDevice is RouterDefinition)
                device.AddRouterPort(port.Vlan ?? 0, peerAddress.Address, peerMac);
        foreach (var entry in definition.StaticArp) device.AddStaticArpEntry(entry.Address, entry.Mac);
        if (_subscribed.Add(device.MacTable)) device.MacTable.EntryChanged += (vlan, mac) => InvalidateTag(device.MacTag(vlan, mac));
        device.ArpEntryChanged += (vlan, address) => InvalidateTag(device.ArpTag(vlan, address));
        return device;
    }

    private Router CreateRouter(RouterDefinition definition, TopologySnapshot topology, ArpCache? arpCache = null, HostLocationTable? hostLocations = null)
    {
        var device = new Router(definition, topology, arpCache ?? _store.ArpCache(definition.Id), hostLocations ?? _store.HostLocations(definition.Id));
        if (_subscribed.Add(device.ArpCache)) device.ArpCache.EntryChanged += address => InvalidateTag(ArpCache.Tag(device.Id, address));
        if (_subscribed.Add(device.HostLocations)) device.HostLocations.LocationChanged += address => InvalidateTag(HostLocationTable.Tag(device.Id, address));
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
        int count = 0;
        foreach (ulong tag in tags) count += InvalidateTag(tag);
        return count;
    }

    // Every invalidation goes through here: logged first, so a simulation running meanwhile that relied on the
    // tag sees it and does not install a decision the invalidation was meant to remove.
    private int InvalidateTag(ulong tag)
    {
        _invalidations.Record(tag);
        return Flows?.InvalidateByTag(tag) ?? 0;
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
            context.Invalidations = _invalidations;
            long invalidations = _invalidations.Current;
            var state = _state;
            var result = Simulate(state, context, hops: null);
            if (result.Pending is TimeSpan retry) return FlowResolution.Pending(retry, [.. result.Emitted]);
            // A packet back from a TTL that ran out: its other copies already left (a flood's other branches run
            // before, or beside, the one that expired), so only what the expiry generates goes out.
            bool drop = context.OutputCount == 0 || reason == ResolverReason.TtlExpired;
            return new FlowDecision
            {
                Match = new FlowMatch(key, context.Mask),
                Actions = drop ? ActionProgram.Drop : context.BuildActions(),
                Tags = context.TagArray(),
                Timeouts = drop ? DropTimeouts : Timeouts,
                Emit = result.Emitted.Count == 0 ? [] : [.. result.Emitted],
                // Not cached: a decision made against a version replaced meanwhile, and one that generated packets
                // (an ARP reply, an ICMP error): those answer this packet, not every packet the flow would match.
                // Nor one that relied on state invalidated while it ran (often by itself: a bridge that learns, from
                // the routed copy of a flood, the MAC it flooded for).
                Cacheable = reason == ResolverReason.Miss && ReferenceEquals(state, _state) && result.Emitted.Count == 0 && context.Emitted.Count == 0
                    && !_invalidations.Touched(invalidations, context.Tags, context.TagsReliedAt),
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
        context.IsTracing = true;
        var hops = new List<TraceHop>();
        var result = Simulate(_state, context, hops);
        var actions = context.BuildActions();
        string outcome = result.Pending is not null ? "pending" : context.OutputCount == 0 ? "drop" : $"output to {string.Join(", ", context.OutputPorts)}";
        if (result.Emitted.Count > 0) outcome += $"; emit {string.Join(", ", result.Emitted.Select(e => $"{e.Frame.Length} bytes to port {e.Port}"))}";
        return new SimulationTrace(key, hops, new FlowMatch(key, context.Mask), actions, [.. context.Tags], outcome);
    }

    private readonly record struct Result(TimeSpan? Pending, List<EmittedPacket> Emitted);

    private Result Simulate(EngineState state, SimulationContext context, List<TraceHop>? hops)
    {
        var emitted = context.EmittedPackets;
        // The ingress port always enters the match: which virtual port a packet arrived on decides everything.
        uint inPort = context.ReadInPort();
        if (!state.Ingress.TryGetValue(inPort, out var ingress))
        {
            hops?.Add(new TraceHop("(none)", $"datapath port {inPort}", VerdictKind.Drop, [], "no exterior port is bound to this datapath port"));
            return new Result(null, emitted);
        }
        TimeSpan? pending = null;
        Walk(state, context, ingress, 0, hops, ref pending);
        Deliver(state, context, 0, emitted, hops);
        return new Result(pending, emitted);
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
            generated.IsTracing = hops is not null;
            TimeSpan? pending = null;
            Walk(state, generated, peer.Id, depth + 1, hops, ref pending);
            if (generated.OutputCount > 0) emitted.AddRange(Apply(generated.BuildActions(), frame));
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

    private void Walk(EngineState state, SimulationContext context, PortId ingress, int depth, List<TraceHop>? hops, ref TimeSpan? pending)
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
        if (hops is not null)
            hops.Add(new TraceHop(device.Name, topology.QualifiedName(ingress), verdict.Kind,
                [.. verdict.Ports.Select(p => topology.QualifiedName(new PortId(p)))], verdict.Reason));
        switch (verdict.Kind)
        {
            case VerdictKind.Pending:
                pending = pending is TimeSpan existing && existing < verdict.RetryAfter ? existing : verdict.RetryAfter;
                return;
            case VerdictKind.Forward:
            case VerdictKind.Flood:
                // Only a fork needs saving: a single egress continues the one branch.
                int count = verdict.PortCount;
                bool fork = count > 1;
                for (int i = 0; i < count; i++)
                {
                    ulong egressId = verdict.PortAt(i);
                    var start = fork ? context.Save() : default;
                    var egress = new PortId(egressId);
                    context.AddTag(egress.Tag);
                    device.Egress(context, egressId);
                    var port = topology.Port(egress);
                    if (port.Kind == PortKind.Exterior)
                    {
                        if (state.Egress.TryGetValue(egress, out uint number)) context.AddOutput(number);
                    }
                    else if (topology.PeerOf(egress) is { } peer)
                    {
                        Walk(state, context, peer.Id, depth + 1, hops, ref pending);
                    }
                    if (fork) context.Restore(start);
                }
                return;
            default:
                return;
        }
    }

    /// <summary>Stops ageing and frees the small native pool used to apply actions to generated packets.</summary>
    public void Dispose()
    {
        _ageing.Dispose();
        lock (_scratch) _scratch.Dispose();
    }
}
