namespace NetFabric.Simulation.Engine;

/// <summary>What a device decided for a packet: where it goes next, or that it stops here.</summary>
public readonly record struct DeviceVerdict
{
    // A forward keeps its one port inline: a verdict per simulated hop must not allocate a list.
    private readonly ulong _port;
    private readonly IReadOnlyList<ulong>? _ports;

    private DeviceVerdict(VerdictKind kind, ulong port, IReadOnlyList<ulong>? ports, string reason, TimeSpan retryAfter)
    {
        Kind = kind;
        _port = port;
        _ports = ports;
        Reason = reason;
        RetryAfter = retryAfter;
    }

    /// <summary>The kind of verdict.</summary>
    public VerdictKind Kind { get; }

    /// <summary>The egress port(s) of the device for <see cref="VerdictKind.Forward"/> and <see cref="VerdictKind.Flood"/> (allocates for a forward; see <see cref="PortCount"/>).</summary>
    public IReadOnlyList<ulong> Ports => _ports ?? (Kind == VerdictKind.Forward ? [_port] : []);

    /// <summary>How many egress ports the verdict names.</summary>
    public int PortCount => _ports?.Count ?? (Kind == VerdictKind.Forward ? 1 : 0);

    /// <summary>The <paramref name="index"/>-th egress port, without allocating.</summary>
    public ulong PortAt(int index) => _ports is { } ports ? ports[index] : index == 0 && Kind == VerdictKind.Forward ? _port : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>Why, in words, for traces (e.g. "no route to 198.51.100.7", "learned 02:…:01 on port vm1").</summary>
    public string Reason { get; }

    /// <summary>For <see cref="VerdictKind.Pending"/>: when to simulate the packet again.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>Send the packet out of one port of the device.</summary>
    public static DeviceVerdict Forward(ulong port, string reason = "") => new(VerdictKind.Forward, port, null, reason, default);

    /// <summary>Send a copy out of each of several ports (flooding, broadcast, a port set).</summary>
    public static DeviceVerdict Flood(IReadOnlyList<ulong> ports, string reason = "") => new(VerdictKind.Flood, 0, ports, reason, default);

    /// <summary>Discard the packet; the decision is cached as a drop flow.</summary>
    public static DeviceVerdict Drop(string reason) => new(VerdictKind.Drop, 0, null, reason, default);

    /// <summary>The device took the packet (it answered it, e.g. an ARP request for its own address); nothing is forwarded.</summary>
    public static DeviceVerdict Consume(string reason) => new(VerdictKind.Consume, 0, null, reason, default);

    /// <summary>The decision waits on state that is not there yet (an ARP resolution): park the packet and retry.</summary>
    public static DeviceVerdict Pending(TimeSpan retryAfter, string reason) => new(VerdictKind.Pending, 0, null, reason, retryAfter);
}

/// <summary>The kinds of <see cref="DeviceVerdict"/>.</summary>
public enum VerdictKind
{
    /// <summary>Out of one port.</summary>
    Forward,
    /// <summary>Out of several ports.</summary>
    Flood,
    /// <summary>Dropped.</summary>
    Drop,
    /// <summary>Consumed by the device.</summary>
    Consume,
    /// <summary>Waiting on state.</summary>
    Pending,
}
