using System.Collections.Concurrent;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Datapath.Pipeline;

/// <summary>
/// The simplest useful <see cref="IFlowResolver"/>: an Ethernet learning switch over every port of a pipeline.
/// It learns each source MAC's port (per VLAN), forwards to a known destination, floods to all other ports
/// otherwise, and installs wildcard flows matching only in-port, VLAN, Ethernet source and destination — the
/// source is matched so a new or moved sender misses once and is learned. Flows are tagged with the MACs they
/// relied on; learning or moving a MAC invalidates exactly those flows. Thread-safe.
/// </summary>
/// <remarks>
/// A flood flow resolved on one worker while another learns the same MAC may be installed just after the
/// invalidation and keep flooding until it idles out: delivery stays correct, only less efficient.
/// </remarks>
public sealed class LearningSwitch : IFlowResolver
{
    private readonly PacketPipeline _pipeline;
    private readonly ConcurrentDictionary<(int Vlan, MacAddress Mac), uint> _table = new();
    private uint[]? _ports;

    /// <summary>Creates a switch over <paramref name="pipeline"/>'s ports; set it as the pipeline's resolver.</summary>
    public LearningSwitch(PacketPipeline pipeline) => _pipeline = pipeline;

    /// <summary>Flow timeouts for installed flows (default: 10 s idle).</summary>
    public FlowTimeouts Timeouts { get; init; } = FlowTimeouts.Default;

    /// <summary>The learned MAC table: (VLAN id, MAC) → datapath port.</summary>
    public IReadOnlyDictionary<(int Vlan, MacAddress Mac), uint> MacTable => _table;

    /// <summary>The invalidation tag of flows that relied on where <paramref name="mac"/> is (or that it is unknown) on <paramref name="vlan"/>.</summary>
    public static ulong TagFor(int vlan, MacAddress mac) => 0x4C53_0000_0000_0000UL ^ ((ulong)(vlan & 0xFFF) << 48) ^ mac.Value;

    /// <inheritdoc />
    public FlowResolution Resolve(in FlowKey key, PacketBuffer packet, ResolverReason reason)
    {
        var drop = new FlowDecision { Match = FlowMatch.Exactly(key), Actions = ActionProgram.Drop, Cacheable = false };
        if (reason != ResolverReason.Miss || key.Layers == FlowKeyLayers.None) return drop;

        int vlan = key.VlanTci & 0x0FFF;
        uint inPort = key.InPort;
        Learn(vlan, key.EthernetSource, inPort);

        var maskBits = default(FlowKey);
        maskBits.InPort = uint.MaxValue;
        maskBits.VlanTci = ushort.MaxValue;
        maskBits.EthernetSource = MacAddress.Broadcast;
        maskBits.EthernetDestination = MacAddress.Broadcast;
        var match = new FlowMatch(key, new FlowMask(maskBits));
        ulong[] tags = [TagFor(vlan, key.EthernetDestination), TagFor(vlan, key.EthernetSource)];

        var builder = ActionProgram.CreateBuilder();
        if (!key.EthernetDestination.IsMulticast && _table.TryGetValue((vlan, key.EthernetDestination), out uint outPort))
        {
            // A destination behind the port the packet came from: drop rather than send it back (no hairpin).
            if (outPort != inPort) builder.Output(outPort);
        }
        else
        {
            foreach (uint port in Ports())
                if (port != inPort) builder.Output(port);
        }
        return new FlowDecision { Match = match, Actions = builder.Build(), Tags = tags, Timeouts = Timeouts };
    }

    private void Learn(int vlan, MacAddress source, uint port)
    {
        if (source.IsMulticast) return;
        if (_table.TryGetValue((vlan, source), out uint known) && known == port) return;
        _table[(vlan, source)] = port;
        // New or moved: flows that flooded towards it, or sent it to its old port, are stale.
        _pipeline.Flows.InvalidateByTag(TagFor(vlan, source));
    }

    private uint[] Ports() => _ports ??= [.. _pipeline.Ports.Keys.Order()];
}
