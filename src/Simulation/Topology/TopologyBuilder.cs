using System.Globalization;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Topology.Internal;

namespace NetFabric.Simulation.Topology;

/// <summary>
/// Declares a topology code-first and validates it whole:
/// <code>
/// var topology = new TopologyBuilder()
///     .Bridge("net1", b => b.Port("vm1", exterior: "vm1-tap").Port("to-router"))
///     .Router("tenant-a", r => r.Port("net1", mac: "02:00:00:00:01:01", address: "198.18.1.1/24"))
///     .Link("net1/to-router", "tenant-a/net1")
///     .Build();
/// </code>
/// Declaring never throws; <see cref="Build"/> collects every problem and throws one
/// <see cref="TopologyValidationException"/>, so nothing is half-applied. Not thread-safe.
/// </summary>
public sealed class TopologyBuilder
{
    private readonly List<DeviceDraft> _devices = [];
    private readonly List<LinkDraft> _links = [];
    private readonly List<TopologyError> _declarationErrors = [];
    private readonly TopologySnapshot _predecessor;

    /// <summary>An empty builder for a first topology (version 1, fresh ids).</summary>
    public TopologyBuilder() : this(TopologySnapshot.Empty) { }

    private TopologyBuilder(TopologySnapshot predecessor) => _predecessor = predecessor;

    /// <summary>
    /// An empty builder whose result succeeds <paramref name="predecessor"/>: version + 1, and every
    /// device or port declared under a name the predecessor has keeps that one's id, so
    /// <see cref="TopologySnapshot.ChangedTags"/> can diff a complete re-declaration (a reloaded file).
    /// </summary>
    public static TopologyBuilder Successor(TopologySnapshot predecessor)
    {
        ArgumentNullException.ThrowIfNull(predecessor);
        return new TopologyBuilder(predecessor);
    }

    /// <summary>
    /// A builder pre-filled with everything in <paramref name="topology"/>, to change it with
    /// <see cref="EditBridge"/>, <see cref="EditRouter"/>, <see cref="Remove"/>, <see cref="Unlink"/>
    /// and new declarations. Its result succeeds <paramref name="topology"/> (see <see cref="Successor"/>).
    /// </summary>
    public static TopologyBuilder From(TopologySnapshot topology)
    {
        var builder = Successor(topology);
        static string? Text<T>(T? value) where T : struct => value?.ToString();
        foreach (var device in topology.Devices)
        {
            var draft = new DeviceDraft(device.Name, device is RouterDefinition);
            foreach (var port in device.Ports)
                draft.Ports.Add(new PortDraft(port.Name, port.HostInterface, port.Host, Text(port.Mac), Text(port.Address), port.Vlan, port.SingleHost));
            if (device is BridgeDefinition bridge)
            {
                foreach (var entry in bridge.StaticMacs)
                    draft.StaticMacs.Add(new StaticMacDraft(entry.Mac.ToString(), entry.Vlan, topology.Port(entry.Port).Name));
                foreach (var entry in bridge.StaticArp)
                    draft.StaticArp.Add(new StaticArpDraft(entry.Address.ToString(), entry.Mac.ToString()));
            }
            else if (device is RouterDefinition router)
            {
                foreach (var route in router.Routes)
                    draft.Routes.Add(new RouteDraft(route.Destination.ToString(), route.EgressPort is { } egress ? topology.Port(egress).Name : null,
                        Text(route.Gateway), Text(route.Source), route.Weight, route.Type));
            }
            builder._devices.Add(draft);
        }
        foreach (var port in topology.Ports.Values.OrderBy(port => port.Id.Value))
            if (port.Peer is { } peer && port.Id.Value < peer.Value)
                builder._links.Add(new LinkDraft(topology.QualifiedName(port.Id), topology.QualifiedName(peer)));
        return builder;
    }

    /// <summary>Declares a bridge called <paramref name="name"/> and its ports.</summary>
    public TopologyBuilder Bridge(string name, Action<BridgeBuilder>? configure = null)
    {
        var draft = new DeviceDraft(name, isRouter: false);
        _devices.Add(draft);
        if (configure is not null) Configure(draft, new BridgeBuilder(draft), configure, b => b.RemovedPorts);
        return this;
    }

    /// <summary>Declares a router called <paramref name="name"/>, its ports and routes.</summary>
    public TopologyBuilder Router(string name, Action<RouterBuilder>? configure = null)
    {
        var draft = new DeviceDraft(name, isRouter: true);
        _devices.Add(draft);
        if (configure is not null) Configure(draft, new RouterBuilder(draft), configure, r => r.RemovedPorts);
        return this;
    }

    /// <summary>Changes the bridge called <paramref name="name"/> already in this builder (an unknown name is reported by <see cref="Build"/>).</summary>
    public TopologyBuilder EditBridge(string name, Action<BridgeBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        if (Find(name, isRouter: false) is { } draft) Configure(draft, new BridgeBuilder(draft), configure, b => b.RemovedPorts);
        return this;
    }

    /// <summary>Changes the router called <paramref name="name"/> already in this builder (an unknown name is reported by <see cref="Build"/>).</summary>
    public TopologyBuilder EditRouter(string name, Action<RouterBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        if (Find(name, isRouter: true) is { } draft) Configure(draft, new RouterBuilder(draft), configure, r => r.RemovedPorts);
        return this;
    }

    /// <summary>Removes the device called <paramref name="name"/> and every link to its ports (no-op when absent).</summary>
    public TopologyBuilder Remove(string name)
    {
        _devices.RemoveAll(device => device.Name == name);
        _links.RemoveAll(link => DeviceOf(link.A) == name || DeviceOf(link.B) == name);
        return this;
    }

    /// <summary>Links two interior ports, each named <c>device/port</c>.</summary>
    public TopologyBuilder Link(string port, string peer)
    {
        _links.Add(new LinkDraft(port, peer));
        return this;
    }

    /// <summary>Removes every link that involves <paramref name="port"/> (<c>device/port</c>).</summary>
    public TopologyBuilder Unlink(string port)
    {
        _links.RemoveAll(link => link.A == port || link.B == port);
        return this;
    }

    /// <summary>
    /// Validates the whole declaration and returns the snapshot. Throws
    /// <see cref="TopologyValidationException"/> listing every problem when it is invalid.
    /// </summary>
    public TopologySnapshot Build() => new Validation(this).Run();

    private void Configure<TBuilder>(DeviceDraft draft, TBuilder builder, Action<TBuilder> configure, Func<TBuilder, List<string>> removed)
    {
        configure(builder);
        foreach (var port in removed(builder)) Unlink($"{draft.Name}/{port}");
    }

    private DeviceDraft? Find(string name, bool isRouter)
    {
        var draft = _devices.Find(device => device.Name == name && device.IsRouter == isRouter);
        if (draft is null)
            _declarationErrors.Add(new TopologyError($"{(isRouter ? "router" : "bridge")} '{name}'", "name", "there is no such device to edit"));
        return draft;
    }

    private static string DeviceOf(string qualifiedName)
    {
        int slash = qualifiedName.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? qualifiedName : qualifiedName[..slash];
    }

    /// <summary>One run of <see cref="Build"/>: id allocation, every rule, then the definitions.</summary>
    private sealed class Validation(TopologyBuilder builder)
    {
        private readonly List<TopologyError> _errors = [.. builder._declarationErrors];
        private readonly Dictionary<string, DeviceDraft> _byName = new(StringComparer.Ordinal);
        private readonly Dictionary<DeviceDraft, DeviceId> _deviceIds = [];
        private readonly Dictionary<(DeviceDraft, string), (PortDraft Draft, PortId Id)> _ports = [];
        private readonly Dictionary<PortDraft, PortId> _peers = [];
        private readonly Dictionary<PortDraft, (MacAddress? Mac, IPv4Prefix? Address)> _routerAddresses = [];
        private ulong _nextId = builder._predecessor.HighestId;
        private ulong _highestId = builder._predecessor.HighestId;

        public TopologySnapshot Run()
        {
            AllocateIds();
            CheckLinks();
            CheckPorts();
            var devices = builder._devices.Where(_deviceIds.ContainsKey).Select(Define).ToList();
            if (_errors.Count > 0) throw new TopologyValidationException(_errors);
            return new TopologySnapshot(builder._predecessor.Version + 1, devices, _highestId);
        }

        private void Error(string obj, string field, string message) => _errors.Add(new TopologyError(obj, field, message));

        private static string Describe(DeviceDraft device, PortDraft port) => $"{device.Describe()} port '{port.Name}'";

        private ulong Allocate(ulong? previous)
        {
            ulong id = previous ?? ++_nextId;
            _highestId = Math.Max(_highestId, id);
            return id;
        }

        private void AllocateIds()
        {
            var predecessor = builder._predecessor;
            foreach (var device in builder._devices)
            {
                if (!ValidName(device.Describe(), device.Name)) continue;
                if (_byName.TryGetValue(device.Name, out var first))
                {
                    Error(device.Describe(), "name", $"duplicate device name (already used by {first.Describe()})");
                    continue;
                }
                _byName.Add(device.Name, device);
                predecessor.TryGetDevice(device.Name, out var old);
                // A name that changed kind (bridge → router) is a new device.
                if (old is not null && (old is RouterDefinition) != device.IsRouter) old = null;
                _deviceIds.Add(device, new DeviceId(Allocate(old?.Id.Value)));
                foreach (var port in device.Ports)
                {
                    if (!ValidName(Describe(device, port), port.Name)) continue;
                    if (_ports.ContainsKey((device, port.Name)))
                    {
                        Error(Describe(device, port), "name", $"duplicate port name in {device.Describe()}");
                        continue;
                    }
                    _ports.Add((device, port.Name), (port, new PortId(Allocate(old?.FindPort(port.Name)?.Id.Value))));
                }
            }
        }

        private bool ValidName(string obj, string name)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('/', StringComparison.Ordinal))
            {
                Error(obj, "name", "a name must be non-empty and must not contain '/'");
                return false;
            }
            return true;
        }

        private (DeviceDraft Device, PortDraft Port, PortId Id)? Resolve(string qualifiedName)
        {
            int slash = qualifiedName.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !_byName.TryGetValue(qualifiedName[..slash], out var device)) return null;
            return _ports.TryGetValue((device, qualifiedName[(slash + 1)..]), out var port) ? (device, port.Draft, port.Id) : null;
        }

        private void CheckLinks()
        {
            var linkedBy = new Dictionary<PortDraft, LinkDraft>();
            foreach (var link in builder._links)
            {
                var a = Resolve(link.A);
                var b = Resolve(link.B);
                if (a is null) Error(link.Describe(), "port", $"unknown port '{link.A}' (ports are named 'device/port')");
                if (b is null) Error(link.Describe(), "peer", $"unknown port '{link.B}' (ports are named 'device/port')");
                if (a is not { } x || b is not { } y)
                {
                    // The known side is not also "without a peer": one problem, reported once.
                    if (a is { } known) linkedBy.TryAdd(known.Port, link);
                    if (b is { } knownPeer) linkedBy.TryAdd(knownPeer.Port, link);
                    continue;
                }
                bool ok = true;
                if (x.Device == y.Device)
                {
                    Error(link.Describe(), "peer", $"both ports belong to {x.Device.Describe()}; a link joins two devices");
                    ok = false;
                }
                foreach (var (device, port, _) in new[] { x, y })
                {
                    if (port.Exterior is not null)
                    {
                        Error(Describe(device, port), "peer", $"exterior port (bound to '{port.Exterior}') cannot have a peer; {link.Describe()} links it");
                        ok = false;
                    }
                    if (linkedBy.TryGetValue(port, out var earlier))
                    {
                        Error(Describe(device, port), "peer", $"linked twice: by {earlier.Describe()} and by {link.Describe()}");
                        ok = false;
                    }
                }
                linkedBy.TryAdd(x.Port, link);
                linkedBy.TryAdd(y.Port, link);
                if (!ok) continue;
                _peers[x.Port] = y.Id;
                _peers[y.Port] = x.Id;
            }
            foreach (var device in _byName.Values)
                foreach (var port in device.Ports)
                    if (port.Exterior is null && !linkedBy.ContainsKey(port) && _ports.TryGetValue((device, port.Name), out var known) && known.Draft == port)
                        Error(Describe(device, port), "peer", "interior port has no peer; link it, or bind it to a host interface with 'exterior'");
        }

        private void CheckPorts()
        {
            var bindings = new Dictionary<(string, string), string>();
            foreach (var device in _byName.Values)
            {
                var addressed = new List<(PortDraft Port, IPv4Prefix Address)>();
                foreach (var port in device.Ports)
                {
                    string obj = Describe(device, port);
                    if (port.Exterior is not null)
                    {
                        if (port.Exterior.Length == 0) Error(obj, "exterior", "the host interface name is empty");
                        else if (!bindings.TryAdd((port.Host ?? "", port.Exterior), obj))
                            Error(obj, "exterior", $"interface '{port.Exterior}'{(port.Host is null ? "" : $" on host '{port.Host}'")} is already bound to {bindings[(port.Host ?? "", port.Exterior)]}");
                    }
                    if (port.Vlan is { } vlan && (vlan < 1 || vlan > 4094))
                        Error(obj, "vlan", $"{vlan} is not a VLAN id (1..4094)");
                    if (!device.IsRouter) continue;
                    MacAddress? mac = null;
                    IPv4Prefix? address = null;
                    if (port.Mac is null) Error(obj, "mac", "a router port needs a MAC address");
                    else if (!MacAddress.TryParse(port.Mac, out var parsedMac)) Error(obj, "mac", $"'{port.Mac}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
                    else if (parsedMac.IsMulticast) Error(obj, "mac", $"{parsedMac} is a group address; a port needs a unicast MAC");
                    else mac = parsedMac;
                    if (port.Address is null) Error(obj, "address", "a router port needs an address with its prefix length (e.g. 198.18.1.1/24)");
                    else if (!IPv4Prefix.TryParse(port.Address, out var parsedAddress)) Error(obj, "address", $"'{port.Address}' is not an IPv4 address/prefix length");
                    else
                    {
                        address = parsedAddress;
                        if (OverlapError(port, parsedAddress, addressed) is { } overlap) Error(obj, "address", overlap);
                        addressed.Add((port, parsedAddress));
                    }
                    _routerAddresses[port] = (mac, address);
                }
            }
        }

        // A router's port subnets must not overlap — each address has one port to leave by — except among single-host
        // ports (seed 001 §7): one host behind each, so the router tells them apart by host and they may all be, say,
        // 198.18.0.1/24. Ports sharing an address must then agree on its subnet, or the router's answers from that
        // address would differ by port.
        private static string? OverlapError(PortDraft port, IPv4Prefix address, List<(PortDraft Port, IPv4Prefix Address)> earlier)
        {
            foreach (var (other, otherAddress) in earlier)
            {
                if (!otherAddress.Overlaps(address)) continue;
                if (port.SingleHost && other.SingleHost)
                {
                    if (otherAddress.Address == address.Address && otherAddress.Length != address.Length)
                        return $"{address} has the address of single-host port '{other.Name}' ({otherAddress}) with another prefix length; ports sharing an address must share its subnet";
                    continue;
                }
                string hint = port.SingleHost || other.SingleHost ? "; only single-host ports may share a subnet, and one of these is not" : "";
                return $"{address} overlaps port '{other.Name}' ({otherAddress}){hint}";
            }
            return null;
        }

        private PortDefinition DefinePort(DeviceDraft device, PortDraft port, PortId id) => new()
        {
            Id = id,
            Name = port.Name,
            Device = _deviceIds[device],
            Kind = port.Exterior is null ? PortKind.Interior : PortKind.Exterior,
            HostInterface = port.Exterior,
            Host = port.Exterior is null ? null : port.Host,
            Peer = _peers.TryGetValue(port, out var peer) ? peer : null,
            Mac = _routerAddresses.TryGetValue(port, out var a) ? a.Mac : null,
            Address = a.Address,
            Vlan = port.Vlan,
            SingleHost = port.SingleHost,
        };

        private DeviceDefinition Define(DeviceDraft device)
        {
            var ports = new List<PortDefinition>();
            foreach (var port in device.Ports)
                if (_ports.TryGetValue((device, port.Name), out var known) && known.Draft == port)
                    ports.Add(DefinePort(device, port, known.Id));
            return device.IsRouter
                ? new RouterDefinition { Id = _deviceIds[device], Name = device.Name, Ports = ports, Routes = device.Routes.Select(route => DefineRoute(device, route, ports)).ToList() }
                : new BridgeDefinition
                {
                    Id = _deviceIds[device], Name = device.Name, Ports = ports,
                    StaticMacs = device.StaticMacs.Select(entry => DefineStaticMac(device, entry, ports)).ToList(),
                    StaticArp = device.StaticArp.Select(entry => DefineStaticArp(device, entry)).ToList(),
                };
        }

        private RouteDefinition DefineRoute(DeviceDraft device, RouteDraft route, List<PortDefinition> ports)
        {
            string obj = $"{device.Describe()} route '{route.Destination}'";
            if (!IPv4Prefix.TryParse(route.Destination, out var destination))
                Error(obj, "destination", $"'{route.Destination}' is not an IPv4 prefix (a.b.c.d/len)");
            IPv4Prefix? source = null;
            if (route.Source is not null)
            {
                if (IPv4Prefix.TryParse(route.Source, out var parsed)) source = parsed;
                else Error(obj, "source", $"'{route.Source}' is not an IPv4 prefix (a.b.c.d/len)");
            }
            IPv4Address? gateway = null;
            if (route.Gateway is not null)
            {
                if (IPv4Address.TryParse(route.Gateway, out var parsed)) gateway = parsed;
                else Error(obj, "gateway", $"'{route.Gateway}' is not an IPv4 address");
            }
            if (route.Weight < 1) Error(obj, "weight", string.Create(CultureInfo.InvariantCulture, $"{route.Weight} is not a weight (at least 1)"));

            PortDefinition? egress = null;
            if (route.Port is not null)
            {
                string name = route.Port;
                int slash = name.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0 && name[..slash] != device.Name)
                    Error(obj, "port", $"'{name}' is not a port of {device.Describe()}; a route leaves by one of its own router's ports");
                else
                {
                    if (slash >= 0) name = name[(slash + 1)..];
                    egress = ports.Find(port => port.Name == name);
                    if (egress is null) Error(obj, "port", $"unknown port '{route.Port}' in {device.Describe()}");
                }
            }
            else if (route.Type == RouteType.Normal)
                Error(obj, "port", "a normal route needs an egress port");

            if (gateway is { } gw && egress?.Address is { } subnet && !subnet.Contains(gw))
                Error(obj, "gateway", $"{gw} is outside the subnet of egress port '{egress.Name}' ({subnet})");

            return new RouteDefinition { Destination = destination, Source = source, Gateway = gateway, EgressPort = egress?.Id, Weight = route.Weight, Type = route.Type };
        }

        private StaticMacEntry DefineStaticMac(DeviceDraft device, StaticMacDraft entry, List<PortDefinition> ports)
        {
            string obj = $"{device.Describe()} static MAC '{entry.Mac}'";
            if (!MacAddress.TryParse(entry.Mac, out var mac)) Error(obj, "mac", $"'{entry.Mac}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
            if (entry.Vlan is { } vlan && (vlan < 1 || vlan > 4094)) Error(obj, "vlan", string.Create(CultureInfo.InvariantCulture, $"{vlan} is not a VLAN id (1..4094; leave it out for untagged)"));
            var port = ports.Find(port => port.Name == entry.Port);
            if (port is null) Error(obj, "port", $"unknown port '{entry.Port}' in {device.Describe()}");
            return new StaticMacEntry(mac, entry.Vlan, port?.Id ?? default);
        }

        private StaticArpEntry DefineStaticArp(DeviceDraft device, StaticArpDraft entry)
        {
            string obj = $"{device.Describe()} static ARP '{entry.Address}'";
            if (!IPv4Address.TryParse(entry.Address, out var address)) Error(obj, "address", $"'{entry.Address}' is not an IPv4 address");
            if (!MacAddress.TryParse(entry.Mac, out var mac)) Error(obj, "mac", $"'{entry.Mac}' is not a MAC address (aa:bb:cc:dd:ee:ff)");
            return new StaticArpEntry(address, mac);
        }
    }
}
