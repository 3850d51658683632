using System.Collections.Frozen;

namespace NetFabric.Simulation.Topology;

/// <summary>
/// An immutable, versioned snapshot of a virtual topology (seed 001 §1): devices, their ports, the
/// interior port → peer links and the exterior port → host interface bindings. Produced only by
/// <see cref="TopologyBuilder"/> (or <see cref="TopologyFile"/>), so every snapshot is valid.
/// Lookups are frozen dictionaries: allocation-free and safe from any number of threads.
/// A change produces a new snapshot (<see cref="WithChanges"/>) with <see cref="Version"/> + 1;
/// <see cref="ChangedTags"/> says which cached decisions the change invalidates.
/// </summary>
public sealed class TopologySnapshot
{
    private readonly FrozenDictionary<DeviceId, DeviceDefinition> _devices;
    private readonly FrozenDictionary<string, DeviceDefinition> _devicesByName;
    private readonly FrozenDictionary<PortId, PortDefinition> _ports;
    private readonly FrozenDictionary<(string Host, string Interface), PortDefinition> _bindings;

    internal TopologySnapshot(long version, IReadOnlyList<DeviceDefinition> devices, ulong highestId)
    {
        Version = version;
        Devices = devices;
        HighestId = highestId;
        _devices = devices.ToFrozenDictionary(device => device.Id);
        _devicesByName = devices.ToFrozenDictionary(device => device.Name, StringComparer.Ordinal);
        _ports = devices.SelectMany(device => device.Ports).ToFrozenDictionary(port => port.Id);
        _bindings = devices.SelectMany(device => device.Ports)
            .Where(port => port.HostInterface is not null)
            .ToFrozenDictionary(port => (port.Host ?? "", port.HostInterface!));
    }

    /// <summary>The empty topology, version 0.</summary>
    public static TopologySnapshot Empty { get; } = new(0, [], 0);

    /// <summary>The snapshot's version: 1 for a first build, the predecessor's plus one for a change.</summary>
    public long Version { get; }

    /// <summary>Every device in declaration order.</summary>
    public IReadOnlyList<DeviceDefinition> Devices { get; }

    /// <summary>Every bridge in declaration order.</summary>
    public IEnumerable<BridgeDefinition> Bridges => Devices.OfType<BridgeDefinition>();

    /// <summary>Every router in declaration order.</summary>
    public IEnumerable<RouterDefinition> Routers => Devices.OfType<RouterDefinition>();

    /// <summary>Every port, by id.</summary>
    public IReadOnlyDictionary<PortId, PortDefinition> Ports => _ports;

    /// <summary>The largest id handed out so far, so a successor never reuses a retired id.</summary>
    internal ulong HighestId { get; }

    /// <summary>The device with id <paramref name="id"/>; throws <see cref="KeyNotFoundException"/> when there is none.</summary>
    public DeviceDefinition Device(DeviceId id) => _devices[id];

    /// <summary>The device called <paramref name="name"/>; throws <see cref="KeyNotFoundException"/> when there is none.</summary>
    public DeviceDefinition Device(string name) =>
        _devicesByName.TryGetValue(name, out var device) ? device : throw new KeyNotFoundException($"No device is called '{name}'.");

    /// <summary>Looks a device up by id without throwing.</summary>
    public bool TryGetDevice(DeviceId id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceDefinition? device) =>
        _devices.TryGetValue(id, out device);

    /// <summary>Looks a device up by name without throwing.</summary>
    public bool TryGetDevice(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceDefinition? device) =>
        _devicesByName.TryGetValue(name, out device);

    /// <summary>The port with id <paramref name="id"/>; throws <see cref="KeyNotFoundException"/> when there is none.</summary>
    public PortDefinition Port(PortId id) => _ports[id];

    /// <summary>The port named <c>device/port</c>; throws <see cref="KeyNotFoundException"/> when there is none.</summary>
    public PortDefinition Port(string qualifiedName) =>
        TryGetPort(qualifiedName, out var port) ? port : throw new KeyNotFoundException($"No port is called '{qualifiedName}'.");

    /// <summary>Looks a port up by id without throwing.</summary>
    public bool TryGetPort(PortId id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PortDefinition? port) =>
        _ports.TryGetValue(id, out port);

    /// <summary>Looks a port up by its <c>device/port</c> name without throwing.</summary>
    public bool TryGetPort(string qualifiedName, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PortDefinition? port)
    {
        port = null;
        int slash = qualifiedName.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !_devicesByName.TryGetValue(qualifiedName[..slash], out var device)) return false;
        port = device.FindPort(qualifiedName[(slash + 1)..]);
        return port is not null;
    }

    /// <summary>The device that owns <paramref name="port"/>.</summary>
    public DeviceDefinition DeviceOf(PortId port) => _devices[_ports[port].Device];

    /// <summary>The <c>device/port</c> name of <paramref name="port"/>.</summary>
    public string QualifiedName(PortId port)
    {
        var definition = _ports[port];
        return $"{_devices[definition.Device].Name}/{definition.Name}";
    }

    /// <summary>The peer of interior port <paramref name="port"/>, or null for an exterior port.</summary>
    public PortDefinition? PeerOf(PortId port) => _ports[port].Peer is { } peer ? _ports[peer] : null;

    /// <summary>
    /// The exterior port bound to <paramref name="hostInterface"/> on <paramref name="host"/>
    /// (null host = a port declared without a host), or null when none is.
    /// </summary>
    public PortDefinition? ExteriorPort(string hostInterface, string? host = null) =>
        _bindings.TryGetValue((host ?? "", hostInterface), out var port) ? port : null;

    /// <summary>
    /// A successor snapshot: this topology with the changes <paramref name="change"/> makes to a
    /// <see cref="TopologyBuilder.From"/> builder, validated whole, at <see cref="Version"/> + 1.
    /// Throws <see cref="TopologyValidationException"/> (and changes nothing) when the result is invalid.
    /// </summary>
    public TopologySnapshot WithChanges(Action<TopologyBuilder> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var builder = TopologyBuilder.From(this);
        change(builder);
        return builder.Build();
    }

    /// <summary>
    /// The invalidation tags of what differs between this snapshot and <paramref name="newer"/>:
    /// the <see cref="DeviceId.Tag"/> of every device added, removed, or whose definition changed
    /// (name, ports, routes, static tables), and the <see cref="PortId.Tag"/> of every port removed or
    /// changed. Ports that are new get no tag of their own (no cached decision can have used them);
    /// their device's tag covers them. Compares definitions by value per id; allocates the result.
    /// </summary>
    public IReadOnlySet<ulong> ChangedTags(TopologySnapshot newer)
    {
        ArgumentNullException.ThrowIfNull(newer);
        var tags = new HashSet<ulong>();
        foreach (var device in Devices)
            if (!newer._devices.TryGetValue(device.Id, out var other) || !device.Equals(other))
                tags.Add(device.Id.Tag);
        foreach (var device in newer.Devices)
            if (!_devices.ContainsKey(device.Id))
                tags.Add(device.Id.Tag);
        foreach (var (id, port) in _ports)
            if (!newer._ports.TryGetValue(id, out var other) || port != other)
                tags.Add(id.Tag);
        return tags;
    }
}
