using System.Buffers.Binary;
using System.Numerics;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.State;
using NetFabric.Simulation.Topology;

namespace NetFabric.Simulation.Devices;

/// <summary>
/// A virtual IPv4 router (seed 001 §7). For a packet entering port P it accepts only frames sent to P's MAC (or
/// broadcast), does a longest-prefix match on the destination (then on the source for source-prefix routes) over
/// the configured routes, the connected subnets of its ports and /32 local routes for its own addresses, and then:
/// forwards (TTL decrement, source MAC = egress port MAC, destination MAC = next hop's MAC from a peer router
/// port, a peer bridge's static ARP or its <see cref="ArpCache"/>), drops (blackhole), answers ICMP unreachable
/// (reject: admin prohibited; no route: net unreachable; ARP timeout: host unreachable) or answers itself (ARP for
/// its addresses, ICMP echo to its addresses).
/// </summary>
/// <remarks>
/// Mask: the destination is read only as far as the decision needs — the chosen route's length, and for every
/// longer route that did not match, up to its first bit that differs from the destination (so the flow cannot
/// cover a destination that longer route would take). The source is read the same way only when source-prefix
/// routes took part. L4 fields are read only when the chosen prefix has equal-cost routes (ECMP, see below).
/// Limitations: the context carries only the key, so ICMP errors quote an IPv4 header rebuilt from key fields
/// plus the 8 bytes of ports / ICMP type and code, and echo replies carry identifier 0, sequence 0 and no data.
/// ECMP: configured normal routes with the same destination and source prefix but a different egress port or
/// gateway are equal-cost; one is picked by a deterministic hash of the IPv4 source, destination, protocol and, for
/// TCP and UDP, the ports, weighted by <see cref="RouteDefinition.Weight"/>. Only then are those fields read (and
/// matched). TTL expiry (the datapath's dec_ttl sending a packet back with ResolverReason.TtlExpired) is
/// answered with ICMP time exceeded from the ingress port.
/// <para>
/// Single-host ports (<see cref="PortDefinition.SingleHost"/>, one VM behind each) let VMs share one subnet
/// without a /30 per link: every VM-facing port may be, say, 198.18.0.1/24. Proxy ARP: an ARP request arriving on
/// a single-host port for any address of that port's subnet other than the requester's own (and other than the
/// subnet's network and broadcast addresses) is answered with the ingress port's MAC, so a VM sends its traffic for
/// another VM to the router, which routes it like any packet (TTL decrement, MAC rewrite). Gratuitous ARP (sender =
/// target) and probes (sender 0.0.0.0) are not answered. Host location: when several single-host ports share a
/// subnet, a destination in it leaves by the port its host sits behind — a configured /32 route to the port (no
/// gateway) first, as longest-prefix match gives it, else the <see cref="HostLocations"/> learned from the IPv4
/// source / ARP sender of packets arriving on those ports. An unknown destination is looked for by ARP: the
/// router floods a request out of every sharing port, parks the packet, and the reply teaches both the MAC and
/// the location (no reply: host unreachable, as for any ARP timeout).
/// Mask cost: only flows entering a port that shares its subnet read the IPv4 source — to the first bit outside
/// the subnet, or all of it for a host of the subnet (so a new host misses and is learned) — and carry that host's
/// location tag, as do flows to a shared subnet, which read the whole destination. A host moving to another port
/// therefore invalidates both the flows to it and the flows from it at the old port.
/// </para>
/// </remarks>
public sealed class Router : IVirtualDevice
{
    private readonly Dictionary<ulong, PortInfo> _ports = [];
    private readonly RouteEntry[] _routes;
    private readonly Dictionary<(IPv4Prefix Destination, IPv4Prefix? Source), RouteEntry[]> _equalCost = [];
    private readonly HashSet<IPv4Address> _ownAddresses = [];

    /// <summary>
    /// Creates the simulation of <paramref name="definition"/>; <paramref name="topology"/> supplies the peers of its
    /// interior ports (router ports and bridges' static ARP). <paramref name="arpCache"/> carries learned state
    /// over from a previous version of the router, <paramref name="hostLocations"/> where hosts behind its
    /// single-host ports were seen.
    /// </summary>
    public Router(RouterDefinition definition, TopologySnapshot topology, ArpCache? arpCache = null, HostLocationTable? hostLocations = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(topology);
        Id = definition.Id.Tag;
        Name = definition.Name;
        ArpCache = arpCache ?? new ArpCache();
        HostLocations = hostLocations ?? new HostLocationTable();
        var routes = new List<RouteEntry>();
        foreach (var port in definition.Ports)
        {
            var neighbours = new Dictionary<IPv4Address, MacAddress>();
            if (port.Kind == PortKind.Interior && topology.PeerOf(port.Id) is { } peer)
            {
                if (peer.Mac is { } peerMac && peer.Address is { } peerAddress) neighbours[peerAddress.Address] = peerMac;
                else if (topology.TryGetDevice(peer.Device, out var device) && device is BridgeDefinition bridge)
                    foreach (var entry in bridge.StaticArp) neighbours[entry.Address] = entry.Mac;
            }
            var peerRouterMac = port.Kind == PortKind.Interior && topology.PeerOf(port.Id) is { Mac: { } linkedMac, Address: not null } ? linkedMac : (MacAddress?)null;
            _ports[port.Id.Value] = new PortInfo(port.Id.Value, port.Mac ?? default, port.Address, neighbours)
            {
                PeerRouterMac = peerRouterMac,
                SingleHost = port.SingleHost,
            };
            if (port.Address is { } address)
            {
                _ownAddresses.Add(address.Address);
                routes.Add(new RouteEntry(new IPv4Prefix(address.Address, 32), null, null, port.Id.Value, RouteType.Local, 1, false));
                if (!port.SingleHost) routes.Add(new RouteEntry(Subnet(address), null, null, port.Id.Value, RouteType.Normal, 1, false));
            }
        }
        // Single-host ports may share or nest subnets (validation allows overlaps among them only): one connected route
        // per distinct subnet, leaving by whichever port covering it the destination host sits behind. A port whose
        // subnet nests in another's is chosen by longest prefix for its own subnet, so a subnet's candidates are the
        // ports whose subnet contains it.
        var singleHost = definition.Ports.Where(p => p.SingleHost && p.Address is not null).Select(p => (Id: p.Id.Value, Subnet: Subnet(p.Address!.Value))).ToArray();
        foreach (var subnet in singleHost.Select(p => p.Subnet).Distinct())
        {
            ulong[] sharing = [.. singleHost.Where(p => p.Subnet.Contains(subnet)).Select(p => p.Id)];
            routes.Add(new RouteEntry(subnet, null, null, sharing[0], RouteType.Normal, 1, false) { SharedBy = sharing.Length > 1 ? sharing : null });
            if (sharing.Length > 1)
                foreach (ulong id in sharing) _ports[id] = _ports[id] with { LearnsHosts = true };
        }
        foreach (var route in definition.Routes)
            routes.Add(new RouteEntry(route.Destination, route.Source, route.Gateway, route.EgressPort?.Value, route.Type, Math.Max(1, route.Weight), true));
        // Configured routes come after the implicit ones so that, at equal prefixes, a configured route wins below.
        _routes = [.. routes.Select((r, i) => (r, i)).OrderByDescending(x => x.r.Destination.Length)
            .ThenByDescending(x => x.r.Source?.Length ?? -1).ThenByDescending(x => x.i).Select(x => x.r)];
        // Equal-cost groups, in declaration order, keyed by (destination, source).
        foreach (var group in routes.Where(r => r.Configured && r.Type == RouteType.Normal).GroupBy(r => (r.Destination, r.Source)))
        {
            var members = group.DistinctBy(r => (r.EgressPort, r.Gateway)).ToArray();
            if (members.Length > 1) _equalCost[group.Key] = members;
        }
    }

    /// <inheritdoc />
    public ulong Id { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The router's ARP cache (learned from solicited replies).</summary>
    public ArpCache ArpCache { get; }

    /// <summary>Which single-host port each host of a shared subnet sits behind (learned; see the class remarks).</summary>
    public HostLocationTable HostLocations { get; }

    /// <summary>How long a packet waiting on ARP is parked before it is simulated again.</summary>
    public TimeSpan ArpRetry { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The invalidation tag of flows that relied on the ARP state of <paramref name="address"/> in this router.</summary>
    public ulong ArpTag(IPv4Address address) => ArpCache.Tag(Id, address);

    /// <summary>The invalidation tag of flows that relied on where host <paramref name="address"/> sits (single-host ports).</summary>
    public ulong HostTag(IPv4Address address) => HostLocationTable.Tag(Id, address);

    /// <inheritdoc />
    public DeviceVerdict Process(SimulationContext context, ulong ingressPort)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddTag(Id);
        if (!_ports.TryGetValue(ingressPort, out var ingress)) return DeviceVerdict.Drop("not a port of this router");
        // Router ports are untagged (no 802.1Q sub-interfaces). A tagged frame is another VLAN that a trunk carries
        // to the router's link: not the router's to answer or route, or it would join that VLAN to its subnets.
        if (context.ReadVlanTagged()) return DeviceVerdict.Drop("a tagged frame: router ports take untagged frames only");
        ushort etherType = context.ReadEtherType();
        if (etherType == EtherType.Arp) return ProcessArp(context, ingress);
        if (etherType != EtherType.IPv4) return DeviceVerdict.Drop("not IPv4");
        var destinationMac = context.ReadEthernetDestination();
        if (destinationMac != ingress.Mac && !destinationMac.IsBroadcast)
            return DeviceVerdict.Drop(context.Explain($"{destinationMac} is not this router's port MAC"));
        LearnHost(context, ingress);

        var route = Lookup(context);
        if (route is null)
        {
            EmitError(context, ingress, IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeNetUnreachable);
            return DeviceVerdict.Drop(context.Explain($"no route to {context.OriginalKey.Ipv4Destination}"));
        }
        switch (route.Type)
        {
            case RouteType.Blackhole:
                return DeviceVerdict.Drop(context.Explain($"blackhole route {route.Destination}"));
            case RouteType.Reject:
                EmitError(context, ingress, IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeAdministrativelyProhibited);
                return DeviceVerdict.Drop(context.Explain($"reject route {route.Destination}"));
            case RouteType.Local:
                return ProcessLocal(context, ingress);
        }
        ulong? egressPort = route.EgressPort;
        bool located = true;
        if (route.SharedBy is { } sharing)
        {
            // Several single-host ports share the subnet: the port depends on this very host, and on where it sits.
            var host = context.ReadIpv4DestinationPrefix(32);
            context.AddTag(HostTag(host));
            located = HostLocations.TryGetPort(host, out ulong behind) && Array.IndexOf(sharing, behind) >= 0;
            if (located) egressPort = behind;
        }
        if (egressPort is not ulong egressId || !_ports.TryGetValue(egressId, out var egress) || egress.Address is not { } egressAddress)
            return DeviceVerdict.Drop(context.Explain($"route {route.Destination} has no usable egress port"));
        if (!context.DecrementTtl())
        {
            EmitError(context, ingress, IcmpV4Header.TypeTimeExceeded, IcmpV4Header.CodeTtlExceeded);
            return DeviceVerdict.Drop("TTL expired in transit");
        }
        if (!located) return LocateHost(context, ingress, route);

        var nextHop = route.Gateway ?? context.ReadIpv4DestinationPrefix(32);
        MacAddress nextHopMac;
        if (egress.Neighbours.TryGetValue(nextHop, out var known))
        {
            nextHopMac = known;
        }
        else
        {
            context.AddTag(ArpTag(nextHop));
            if (!ArpCache.TryGet(nextHop, out nextHopMac))
            {
                switch (ArpCache.Resolve(nextHop))
                {
                    case ResolveState.TimedOut:
                        EmitError(context, ingress, IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeHostUnreachable);
                        return DeviceVerdict.Drop(context.Explain($"no ARP answer from {nextHop}"));
                    case ResolveState.SendRequest:
                        Span<byte> request = stackalloc byte[ArpFrames.Length];
                        int length = ArpFrames.WriteRequest(request, egress.Mac, egressAddress.Address, nextHop);
                        context.Emit(egress.Id, request[..length]);
                        break;
                }
                return DeviceVerdict.Pending(ArpRetry, context.Explain($"resolving {nextHop} on port {egress.Id}"));
            }
        }
        context.SetEthernetSource(egress.Mac);
        context.SetEthernetDestination(nextHopMac);
        return DeviceVerdict.Forward(egress.Id, context.Explain($"route {route.Destination} via {nextHop} ({nextHopMac})"));
    }

    // A destination in a subnet shared by single-host ports, whose host has not been seen yet: ask for it out of
    // every sharing port and park the packet. The reply (arriving on the host's port) teaches the router both the
    // MAC and the location; without one, the packet is answered host unreachable like any ARP timeout.
    private DeviceVerdict LocateHost(SimulationContext context, PortInfo ingress, RouteEntry route)
    {
        var host = context.ReadIpv4DestinationPrefix(32);
        context.AddTag(ArpTag(host));
        switch (ArpCache.Resolve(host))
        {
            case ResolveState.TimedOut:
                EmitError(context, ingress, IcmpV4Header.TypeDestinationUnreachable, IcmpV4Header.CodeHostUnreachable);
                return DeviceVerdict.Drop(context.Explain($"no ARP answer from {host} behind any port sharing {route.Destination}"));
            case ResolveState.SendRequest:
                Span<byte> request = stackalloc byte[ArpFrames.Length];
                foreach (ulong id in route.SharedBy!)
                {
                    if (!_ports.TryGetValue(id, out var port) || port.Address is not { } address) continue;
                    int length = ArpFrames.WriteRequest(request, port.Mac, address.Address, host);
                    context.Emit(id, request[..length]);
                }
                break;
        }
        return DeviceVerdict.Pending(ArpRetry, context.Explain($"locating {host} behind the ports sharing {route.Destination}"));
    }

    // A packet from a host of its port's subnet, on a port sharing that subnet, shows which port the host sits
    // behind. The flow reads the source only as far as that takes: to its first bit outside the subnet, or all of
    // it for a host of the subnet, whose location tag the flow then carries — another host misses and is learned,
    // and the host moving elsewhere invalidates the flow, so its coming back is learned too.
    private void LearnHost(SimulationContext context, PortInfo ingress)
    {
        if (!ingress.LearnsHosts || ingress.Address is not { } subnet) return;
        // Peeked at (records nothing); the reads below record only what the decision used.
        uint source = context.CurrentKey.Ipv4Source.Value;
        int differs = FirstDifference(subnet, source);
        if (differs != 0)
        {
            context.ReadIpv4SourcePrefix(differs);
            return;
        }
        var host = context.ReadIpv4SourcePrefix(32);
        if (!IsHostOf(subnet, host)) return;
        context.AddTag(HostTag(host));
        HostLocations.Learn(host, ingress.Id);
    }

    // An address a host of the subnet may have: not the router's own, not the network or broadcast address (a /31
    // or /32 has neither, RFC 3021).
    private bool IsHostOf(IPv4Prefix subnet, IPv4Address address) =>
        subnet.Contains(address) && !_ownAddresses.Contains(address)
        && (subnet.Length >= 31 || (address != subnet.Network && address != subnet.BroadcastAddress));

    private static IPv4Prefix Subnet(IPv4Prefix address) => new(address.Network, address.Length);

    /// <summary>
    /// True when a topology change (the <paramref name="changed"/> tags) affects the simulation of
    /// <paramref name="router"/>: the router itself, one of its ports, or a device one of its ports links to
    /// (a peer router's address, a bridge's static ARP) changed.
    /// </summary>
    public static bool IsAffectedBy(RouterDefinition router, TopologySnapshot topology, IReadOnlySet<ulong> changed)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(changed);
        return changed.Contains(router.Id.Tag)
            || router.Ports.Any(p => changed.Contains(p.Id.Tag) || (topology.PeerOf(p.Id) is { } peer && changed.Contains(peer.Device.Tag)));
    }

    // Longest prefix on the destination, then on the source. Reads just enough bits (see the class remarks).
    private RouteEntry? Lookup(SimulationContext context)
    {
        var key = context.OriginalKey;
        uint destination = key.Ipv4Destination.Value;
        uint source = key.Ipv4Source.Value;
        int destinationBits = 0, sourceBits = 0;
        RouteEntry? chosen = null;
        foreach (var route in _routes)
        {
            // Routes are sorted longest first: once one is chosen, later ones cannot win.
            if (chosen is not null) break;
            int differs = FirstDifference(route.Destination, destination);
            if (differs != 0)
            {
                destinationBits = Math.Max(destinationBits, differs);
                continue;
            }
            if (route.Source is { } sourcePrefix)
            {
                int sourceDiffers = FirstDifference(sourcePrefix, source);
                if (sourceDiffers != 0)
                {
                    sourceBits = Math.Max(sourceBits, sourceDiffers);
                    continue;
                }
                sourceBits = Math.Max(sourceBits, sourcePrefix.Length);
            }
            chosen = route;
            destinationBits = Math.Max(destinationBits, route.Destination.Length);
        }
        context.ReadIpv4DestinationPrefix(destinationBits);
        if (sourceBits > 0) context.ReadIpv4SourcePrefix(sourceBits);
        if (chosen is { Configured: true, Type: RouteType.Normal } && _equalCost.TryGetValue((chosen.Destination, chosen.Source), out var group))
            chosen = PickEqualCost(context, group);
        return chosen;
    }

    // ECMP: a deterministic, weighted choice by the flow's addresses, protocol and (TCP/UDP) ports, all read through
    // the context so the flow matches exactly the packets that hash the same way.
    private RouteEntry PickEqualCost(SimulationContext context, RouteEntry[] group)
    {
        uint source = context.ReadIpv4SourcePrefix(32).Value;
        uint destination = context.ReadIpv4DestinationPrefix(32).Value;
        byte protocol = context.ReadNetworkProtocol();
        ulong hash = FlowHash.Mix(FlowHash.Mix(0x4543_4D50UL, Id), ((ulong)source << 32) | destination);
        hash = FlowHash.Mix(hash, protocol);
        if (protocol == IpProtocol.Tcp || protocol == IpProtocol.Udp)
            hash = FlowHash.Mix(hash, ((ulong)context.ReadTransportSource() << 16) | context.ReadTransportDestination());
        long total = 0;
        foreach (var route in group) total += route.Weight;
        long point = (long)(FlowHash.Finish(hash) % (ulong)total);
        foreach (var route in group)
        {
            if (point < route.Weight) return route;
            point -= route.Weight;
        }
        return group[^1];
    }

    // 0 when the prefix contains the address, else the 1-based position of the first bit that differs.
    private static int FirstDifference(IPv4Prefix prefix, uint address)
    {
        uint difference = (address ^ prefix.Address.Value) & prefix.Mask;
        return difference == 0 ? 0 : BitOperations.LeadingZeroCount(difference) + 1;
    }

    private DeviceVerdict ProcessLocal(SimulationContext context, PortInfo ingress)
    {
        if (context.ReadNetworkProtocol() == IpProtocol.Icmp && (byte)context.ReadTransportSource() == IcmpV4Header.TypeEchoRequest)
        {
            var key = context.OriginalKey;
            if (context.OriginalFrame.Length > 0)
            {
                var answer = new byte[context.OriginalFrame.Length + 64];
                if (IcmpFrames.TryWriteEchoReply(answer, context.OriginalFrame, ingress.Mac, out int answered))
                    context.Emit(ingress.Id, answer.AsSpan(0, answered));
                return DeviceVerdict.Consume(context.Explain($"echo request to {key.Ipv4Destination}: replied"));
            }
            Span<byte> request = stackalloc byte[64];
            int offset = EthernetHeader.Write(request, ingress.Mac, key.EthernetSource, EtherType.IPv4);
            offset += Ipv4Header.Write(request[offset..], key.Ipv4Source, key.Ipv4Destination, IpProtocol.Icmp, IcmpV4Header.Length, key.NetworkTtl, key.NetworkTos);
            IcmpV4Header.Write(request[offset..], IcmpV4Header.TypeEchoRequest, 0, 0);
            IcmpV4Header.SetChecksum(request.Slice(offset, IcmpV4Header.Length));
            offset += IcmpV4Header.Length;
            Span<byte> reply = stackalloc byte[128];
            if (IcmpFrames.TryWriteEchoReply(reply, request[..offset], ingress.Mac, out int written))
                context.Emit(ingress.Id, reply[..written]);
            return DeviceVerdict.Consume(context.Explain($"echo request to {key.Ipv4Destination}: replied"));
        }
        return DeviceVerdict.Consume("addressed to the router");
    }

    private DeviceVerdict ProcessArp(SimulationContext context, PortInfo ingress)
    {
        if (ingress.Address is not { } address) return DeviceVerdict.Drop("ARP on a port without an address");
        byte operation = context.ReadNetworkProtocol();
        var target = context.ReadIpv4Destination();
        // Any ARP from a host of the subnet — a request, a reply, a gratuitous announcement after a move — shows where it sits.
        LearnHost(context, ingress);
        if (target != address.Address)
        {
            if (ingress.SingleHost && operation == (byte)ArpPacket.OperationRequest) return ProxyArp(context, ingress, address, target);
            return DeviceVerdict.Drop(context.Explain($"ARP for {target}, not for this port ({address.Address})"));
        }
        var sender = context.ReadIpv4Source();
        var senderMac = context.ReadArpSourceHardware();
        if (operation == (byte)ArpPacket.OperationRequest)
        {
            // The asker is about to be talked back to (RFC 826): remember it, so traffic routed to it needs no ARP
            // round trip of its own. Only a sender of this port's subnet (which also leaves out address probes,
            // whose sender is 0.0.0.0, RFC 5227).
            if (address.Contains(sender) && sender != address.Address)
                ArpCache.LearnFromRequest(sender, senderMac);
            Span<byte> reply = stackalloc byte[ArpFrames.Length];
            int length = ArpFrames.WriteReply(reply, ingress.Mac, address.Address, senderMac, sender);
            context.Emit(ingress.Id, reply[..length]);
            return DeviceVerdict.Consume(context.Explain($"ARP request for {target}: replied"));
        }
        if (operation == (byte)ArpPacket.OperationReply)
        {
            context.AddTag(ArpTag(sender));
            if (ArpCache.LearnSolicited(sender, senderMac))
                return DeviceVerdict.Consume(context.Explain($"ARP reply: learned {sender} at {senderMac}"));
            return DeviceVerdict.Drop(context.Explain($"unsolicited ARP reply for {sender}"));
        }
        return DeviceVerdict.Drop(context.Explain($"ARP operation {operation}"));
    }

    // Proxy ARP on a single-host port: the one host behind it asks for another address of its subnet (another VM's),
    // and the router answers with the ingress port's MAC so the host sends that traffic to be routed.
    private DeviceVerdict ProxyArp(SimulationContext context, PortInfo ingress, IPv4Prefix subnet, IPv4Address target)
    {
        var sender = context.ReadIpv4Source();
        // RFC 5227: a probe has no sender address yet and an announcement asks for the sender's own; neither is a question.
        if (sender == IPv4Address.Any) return DeviceVerdict.Drop(context.Explain($"ARP probe for {target}: not answered"));
        if (sender == target) return DeviceVerdict.Drop(context.Explain($"gratuitous ARP from {sender}: not answered"));
        if (!subnet.Contains(target) || (subnet.Length < 31 && (target == subnet.Network || target == subnet.BroadcastAddress)))
            return DeviceVerdict.Drop(context.Explain($"ARP for {target}, not a host address of this port's subnet ({subnet})"));
        var senderMac = context.ReadArpSourceHardware();
        Span<byte> reply = stackalloc byte[ArpFrames.Length];
        int length = ArpFrames.WriteReply(reply, ingress.Mac, target, senderMac, sender);
        context.Emit(ingress.Id, reply[..length]);
        return DeviceVerdict.Consume(context.Explain($"ARP request for {target} on a single-host port: proxy-answered with {ingress.Mac}"));
    }

    // An ICMP error (destination unreachable, time exceeded) back out of the ingress port, quoting the packet as it
    // arrived. When only the key is known (traces of synthetic keys, benchmarks) the offending packet is rebuilt from
    // it: IPv4 header fields plus the first 8 bytes (ports, or ICMP type and code).
    private static void EmitError(SimulationContext context, PortInfo ingress, byte type, byte code)
    {
        if (ingress.Address is not { } address) return;
        if (context.OriginalFrame.Length > 0)
        {
            // Quote the real packet (RFC 1812 §4.3.2.3): senders match errors to sockets by the quoted headers.
            var quoted = new byte[IcmpFrames.MaximumIpv4ErrorDatagram + 64];
            if (IcmpFrames.TryWriteIpv4Error(quoted, context.OriginalFrame, ingress.Mac, address.Address, type, code, 0, out int length))
            {
                // The frame as it arrived names the original sender's MAC; behind another router, the error must go
                // to that router's port instead, which routes it on towards the sender.
                ingress.PeerRouterMac?.Write(quoted);
                context.Emit(ingress.Id, quoted.AsSpan(0, length));
            }
            return;
        }
        var key = context.OriginalKey;
        Span<byte> offending = stackalloc byte[64];
        int offset = EthernetHeader.Write(offending, ingress.Mac, key.EthernetSource, EtherType.IPv4);
        offset += Ipv4Header.Write(offending[offset..], key.Ipv4Source, key.Ipv4Destination, key.NetworkProtocol, 8, key.NetworkTtl, key.NetworkTos);
        var transport = offending.Slice(offset, 8);
        transport.Clear();
        if (key.NetworkProtocol == IpProtocol.Icmp)
        {
            transport[0] = key.IcmpType;
            transport[1] = key.IcmpCode;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(transport, key.TransportSource);
            BinaryPrimitives.WriteUInt16BigEndian(transport[2..], key.TransportDestination);
        }
        offset += 8;
        Span<byte> error = stackalloc byte[128];
        if (IcmpFrames.TryWriteIpv4Error(error, offending[..offset], ingress.Mac, address.Address, type, code, 0, out int written))
            context.Emit(ingress.Id, error[..written]);
    }

    private sealed record PortInfo(ulong Id, MacAddress Mac, IPv4Prefix? Address, Dictionary<IPv4Address, MacAddress> Neighbours)
    {
        /// The MAC of the router port this port is linked to, if any: the previous hop of packets arriving here.
        public MacAddress? PeerRouterMac { get; init; }

        /// One host sits behind the port: the router answers ARP for the rest of its subnet (proxy ARP).
        public bool SingleHost { get; init; }

        /// The port shares its subnet with other single-host ports: packets arriving here teach host locations.
        public bool LearnsHosts { get; init; }
    }

    private sealed record RouteEntry(IPv4Prefix Destination, IPv4Prefix? Source, IPv4Address? Gateway, ulong? EgressPort, RouteType Type, int Weight, bool Configured)
    {
        /// For the connected route of a subnet several single-host ports share: those ports (the egress is where the
        /// destination host sits); null otherwise.
        public ulong[]? SharedBy { get; init; }
    }
}
