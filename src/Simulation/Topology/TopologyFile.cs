using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NetFabric.Simulation.Topology;

/// <summary>
/// Loads a topology from YAML or JSON text (JSON is YAML, so one loader reads both) through the same
/// <see cref="TopologyBuilder"/> and validation as code-first topologies. The schema:
/// <code>
/// bridges:
///   - name: tenant-a-net1
///     ports:
///       - { name: vm1, exterior: vm1-tap, host: host-1, vlan: 10 }   # exterior: bound to a host interface
///       - { name: to-router }                                          # interior: needs a link
///     static-macs: [ { mac: "02:00:00:00:01:10", port: vm1, vlan: 10 } ]
///     static-arp:  [ { address: 198.18.1.10, mac: "02:00:00:00:01:10" } ]
/// routers:
///   - name: tenant-a
///     ports:
///       - { name: net1, mac: "02:00:00:00:01:01", address: 198.18.1.1/24, single-host: false }
///       - { name: uplink, mac: "02:00:00:00:00:02", address: 198.18.0.2/24, exterior: eth0, host: edge-1 }
///     routes:
///       - { destination: 0.0.0.0/0, port: uplink, gateway: 198.18.0.1, source: 198.18.1.0/24, weight: 1 }
///       - { destination: 198.19.0.0/16, type: blackhole }                # normal | blackhole | reject | local
/// links:
///   - [tenant-a-net1/to-router, tenant-a/net1]
/// </code>
/// Malformed text or a schema violation throws <see cref="TopologyFileException"/> with line and column;
/// a well-formed but invalid topology throws <see cref="TopologyValidationException"/> naming the file.
/// </summary>
public static class TopologyFile
{
    /// <summary>Reads and loads the file at <paramref name="path"/> (see <see cref="Parse"/>).</summary>
    public static TopologySnapshot Load(string path, TopologySnapshot? predecessor = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllText(path), predecessor, path);
    }

    /// <summary>
    /// Loads a topology from YAML or JSON <paramref name="text"/>. With <paramref name="predecessor"/> the
    /// result succeeds it (<see cref="TopologyBuilder.Successor"/>: same ids for same names, version + 1),
    /// so a reloaded file can be diffed with <see cref="TopologySnapshot.ChangedTags"/>.
    /// <paramref name="fileName"/> only labels error messages.
    /// </summary>
    public static TopologySnapshot Parse(string text, TopologySnapshot? predecessor = null, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = predecessor is null ? new TopologyBuilder() : TopologyBuilder.Successor(predecessor);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new TopologyFileException(fileName, e.Start.Line, e.Start.Column, Innermost(e).Message, e);
        }
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            throw new TopologyFileException(fileName, second.Start.Line, second.Start.Column, "expected one document, found several");
        }
        if (stream.Documents.Count == 1) new Reader(fileName).Read(stream.Documents[0].RootNode, builder);
        try
        {
            return builder.Build();
        }
        catch (TopologyValidationException e) when (fileName is not null)
        {
            throw new TopologyValidationException(e.Errors, fileName);
        }
    }

    /// <summary>Writes <paramref name="topology"/> to <paramref name="path"/> as YAML (see <see cref="ToYaml"/>).</summary>
    public static void Save(TopologySnapshot topology, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        File.WriteAllText(path, ToYaml(topology));
    }

    /// <summary>
    /// Formats <paramref name="topology"/> in the schema <see cref="Parse"/> reads, so
    /// <c>Parse(ToYaml(t))</c> declares the same devices, ports, routes and links (ids are not written:
    /// files name things; pass the topology as predecessor to keep them).
    /// </summary>
    public static string ToYaml(TopologySnapshot topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        static YamlMappingNode Map(params (string Key, string? Value)[] pairs)
        {
            var map = new YamlMappingNode();
            foreach (var (key, value) in pairs)
                if (value is not null)
                {
                    // Text is quoted so other YAML readers never take a MAC for a sexagesimal number or a name for a boolean.
                    bool typed = key is "vlan" or "weight" or "single-host";
                    map.Add(key, new YamlScalarNode(value) { Style = typed ? ScalarStyle.Plain : ScalarStyle.DoubleQuoted });
                }
            return map;
        }
        static string? Text<T>(T? value) where T : struct => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString();

        var bridges = new YamlSequenceNode();
        var routers = new YamlSequenceNode();
        var links = new YamlSequenceNode();
        foreach (var device in topology.Devices)
        {
            var ports = new YamlSequenceNode();
            foreach (var port in device.Ports)
            {
                ports.Add(Map(("name", port.Name), ("exterior", port.HostInterface), ("host", port.Host), ("vlan", Text(port.Vlan)),
                    ("mac", Text(port.Mac)), ("address", Text(port.Address)), ("single-host", port.SingleHost ? "true" : null)));
                if (port.Peer is { } peer && port.Id.Value < peer.Value)
                    links.Add(new YamlSequenceNode(new YamlScalarNode(topology.QualifiedName(port.Id)), new YamlScalarNode(topology.QualifiedName(peer))));
            }
            var node = Map(("name", device.Name));
            node.Add("ports", ports);
            if (device is BridgeDefinition bridge)
            {
                if (bridge.StaticMacs.Count > 0)
                    node.Add("static-macs", new YamlSequenceNode(bridge.StaticMacs.Select(entry =>
                        Map(("mac", entry.Mac.ToString()), ("port", topology.Port(entry.Port).Name), ("vlan", Text(entry.Vlan))))));
                if (bridge.StaticArp.Count > 0)
                    node.Add("static-arp", new YamlSequenceNode(bridge.StaticArp.Select(entry =>
                        Map(("address", entry.Address.ToString()), ("mac", entry.Mac.ToString())))));
                bridges.Add(node);
            }
            else if (device is RouterDefinition router)
            {
                if (router.Routes.Count > 0)
                    node.Add("routes", new YamlSequenceNode(router.Routes.Select(route => Map(
                        ("destination", route.Destination.ToString()),
                        ("port", route.EgressPort is { } egress ? topology.Port(egress).Name : null),
                        ("gateway", Text(route.Gateway)), ("source", Text(route.Source)),
                        ("weight", route.Weight == 1 ? null : route.Weight.ToString(CultureInfo.InvariantCulture)),
                        ("type", route.Type == RouteType.Normal ? null : route.Type.ToString().ToLowerInvariant())))));
                routers.Add(node);
            }
        }
        var root = new YamlMappingNode();
        if (bridges.Children.Count > 0) root.Add("bridges", bridges);
        if (routers.Children.Count > 0) root.Add("routers", routers);
        if (links.Children.Count > 0) root.Add("links", links);
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static Exception Innermost(YamlException e)
    {
        // YamlDotNet wraps the scanner's precise complaint; the inner one reads better.
        Exception inner = e;
        while (inner.InnerException is YamlException next) inner = next;
        return inner;
    }

    /// <summary>Maps nodes onto the builder, rejecting unknown keys and wrong shapes with their position.</summary>
    private sealed class Reader(string? fileName)
    {
        public void Read(YamlNode root, TopologyBuilder builder)
        {
            if (root is YamlScalarNode { Value: null or "" }) return;   // an empty document is an empty topology
            var top = Mapping(root, "the topology", "bridges", "routers", "links");
            foreach (var node in Sequence(top, "bridges"))
                ReadBridge(Mapping(node, "a bridge", "name", "ports", "static-macs", "static-arp"), builder);
            foreach (var node in Sequence(top, "routers"))
                ReadRouter(Mapping(node, "a router", "name", "ports", "routes"), builder);
            foreach (var node in Sequence(top, "links"))
            {
                if (node is not YamlSequenceNode { Children.Count: 2 } pair)
                    throw Fail(node, "a link is a list of two ports: [device/port, device/port]");
                builder.Link(Scalar(pair[0], "a linked port"), Scalar(pair[1], "a linked port"));
            }
        }

        private void ReadBridge(YamlMappingNode bridge, TopologyBuilder builder)
        {
            string name = Required(bridge, "name");
            var ports = Sequence(bridge, "ports").Select(node => Mapping(node, "a bridge port", "name", "exterior", "host", "vlan")).ToList();
            var macs = Sequence(bridge, "static-macs").Select(node => Mapping(node, "a static MAC entry", "mac", "port", "vlan")).ToList();
            var arps = Sequence(bridge, "static-arp").Select(node => Mapping(node, "a static ARP entry", "address", "mac")).ToList();
            var parsedPorts = ports.Select(port => (Name: Required(port, "name"), Exterior: Optional(port, "exterior"), Host: Optional(port, "host"), Vlan: Integer(port, "vlan"))).ToList();
            var parsedMacs = macs.Select(entry => (Mac: Required(entry, "mac"), Port: Required(entry, "port"), Vlan: Integer(entry, "vlan"))).ToList();
            var parsedArps = arps.Select(entry => (Address: Required(entry, "address"), Mac: Required(entry, "mac"))).ToList();
            builder.Bridge(name, b =>
            {
                foreach (var port in parsedPorts) b.Port(port.Name, port.Exterior, port.Host, port.Vlan);
                foreach (var entry in parsedMacs) b.StaticMac(entry.Mac, entry.Port, entry.Vlan);
                foreach (var entry in parsedArps) b.StaticArp(entry.Address, entry.Mac);
            });
        }

        private void ReadRouter(YamlMappingNode router, TopologyBuilder builder)
        {
            string name = Required(router, "name");
            var ports = Sequence(router, "ports")
                .Select(node => Mapping(node, "a router port", "name", "mac", "address", "exterior", "host", "single-host"))
                .Select(port => (Name: Required(port, "name"), Mac: Optional(port, "mac"), Address: Optional(port, "address"),
                    Exterior: Optional(port, "exterior"), Host: Optional(port, "host"), SingleHost: Boolean(port, "single-host")))
                .ToList();
            var routes = Sequence(router, "routes")
                .Select(node => Mapping(node, "a route", "destination", "port", "gateway", "source", "weight", "type"))
                .Select(route => (Destination: Required(route, "destination"), Port: Optional(route, "port"), Gateway: Optional(route, "gateway"),
                    Source: Optional(route, "source"), Weight: Integer(route, "weight") ?? 1, Type: Type(route)))
                .ToList();
            builder.Router(name, r =>
            {
                foreach (var port in ports) r.Port(port.Name, port.Mac, port.Address, port.Exterior, port.Host, port.SingleHost);
                foreach (var route in routes) r.Route(route.Destination, route.Port, route.Gateway, route.Source, route.Weight, route.Type);
            });
        }

        private TopologyFileException Fail(YamlNode node, string problem) =>
            new(fileName, node.Start.Line, node.Start.Column, problem);

        private YamlMappingNode Mapping(YamlNode node, string what, params string[] keys)
        {
            if (node is not YamlMappingNode mapping) throw Fail(node, $"{what} must be a mapping (key: value)");
            foreach (var key in mapping.Children.Keys)
                if (key is not YamlScalarNode { Value: { } text } || Array.IndexOf(keys, text) < 0)
                    throw Fail(key, $"unknown key '{(key as YamlScalarNode)?.Value}' in {what}; expected one of: {string.Join(", ", keys)}");
            return mapping;
        }

        private static YamlNode? Child(YamlMappingNode mapping, string key) =>
            mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        private IEnumerable<YamlNode> Sequence(YamlMappingNode mapping, string key) => Child(mapping, key) switch
        {
            null => [],
            YamlScalarNode { Value: null or "" } => [],
            YamlSequenceNode sequence => sequence.Children,
            var other => throw Fail(other, $"'{key}' must be a list"),
        };

        private string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode { Value: { } value } ? value : throw Fail(node, $"{what} must be a single value");

        private string? Optional(YamlMappingNode mapping, string key) =>
            Child(mapping, key) is { } node ? Scalar(node, $"'{key}'") : null;

        private string Required(YamlMappingNode mapping, string key) =>
            Optional(mapping, key) ?? throw Fail(mapping, $"missing '{key}'");

        private int? Integer(YamlMappingNode mapping, string key)
        {
            if (Child(mapping, key) is not { } node) return null;
            return int.TryParse(Scalar(node, $"'{key}'"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
                ? value : throw Fail(node, $"'{key}' must be an integer");
        }

        private bool Boolean(YamlMappingNode mapping, string key)
        {
            if (Child(mapping, key) is not { } node) return false;
            return Scalar(node, $"'{key}'") switch
            {
                "true" or "True" or "yes" => true,
                "false" or "False" or "no" => false,
                _ => throw Fail(node, $"'{key}' must be true or false"),
            };
        }

        private RouteType Type(YamlMappingNode mapping)
        {
            if (Child(mapping, "type") is not { } node) return RouteType.Normal;
            return Scalar(node, "'type'") switch
            {
                "normal" => RouteType.Normal,
                "blackhole" => RouteType.Blackhole,
                "reject" => RouteType.Reject,
                "local" => RouteType.Local,
                var other => throw Fail(node, $"unknown route type '{other}'; expected normal, blackhole, reject or local"),
            };
        }
    }
}
