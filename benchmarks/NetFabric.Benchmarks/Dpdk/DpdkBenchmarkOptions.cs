using System.Globalization;

namespace NetFabric.Benchmarks.Dpdk;

/// <summary>What the forwarding core does with each packet.</summary>
internal enum ForwardingMode
{
    /// <summary>Receive a burst on one port, transmit it on the other: no lookup (testpmd's io mode).</summary>
    Io,

    /// <summary>The pipeline with one flow per direction whose only action is an output (an EMC hit).</summary>
    Output,

    /// <summary>The pipeline with N routed flows: two MAC sets, TTL decrement with checksum update, output.</summary>
    Routed,
}

/// <summary>
/// The command line of <c>dpdk</c> mode:
/// <c>dpdk [--seconds N] [--warmup N] [--vdev-pair null|ring] [--mode io|output|routed] [--flows N] [--emc on|off]
/// [--rewrite] [--burst N] [--in-flight N] [--mbufs N] [--memory MB] [--devargs "A;B"] [--workers N]</c>.
/// </summary>
internal sealed record DpdkBenchmarkOptions
{
    public double Seconds { get; init; } = 5;
    public double WarmupSeconds { get; init; } = 1.5;
    public string VdevPair { get; init; } = "null";
    public ForwardingMode Mode { get; init; } = ForwardingMode.Io;
    public int Flows { get; init; } = 1_000;
    public bool ExactMatchCache { get; init; }
    public bool Rewrite { get; init; }
    public int Burst { get; init; } = 32;
    /// Frames injected into each net_ring port before forwarding starts (testpmd's --tx-first sends one burst).
    public int InFlightPerPort { get; init; } = 32;
    public int Mbufs { get; init; } = 8191;
    public int MemoryMegabytes { get; init; } = 256;
    /// DPDK devargs of the two ports, replacing the pair's defaults (e.g. "net_null0,copy=1;net_null1,copy=1").
    public string? Devargs { get; init; }
    /// Pipeline workers (one per CPU, pinned from CPU 0). With more than one, each single-queue port's traffic is
    /// spread over the workers by flow hash (the hand-over path).
    public int Workers { get; init; } = 1;

    /// The two ports' devargs: the same virtual devices testpmd gets from --vdev net_null0 --vdev net_null1 (or ring).
    public (string First, string Second) Devices => Devargs is { } given
        ? (given.Split(';')[0], given.Split(';')[1])
        : VdevPair == "null" ? ("net_null0", "net_null1") : ("net_ring0", "net_ring1");

    /// The pipeline modes always rewrite received frames (see <see cref="FreshFramePort"/>); io only when asked.
    public bool RewritesFrames => Mode != ForwardingMode.Io || Rewrite;

    public static DpdkBenchmarkOptions Parse(string[] args)
    {
        var options = new DpdkBenchmarkOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            options = name switch
            {
                "--seconds" => options with { Seconds = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--warmup" => options with { WarmupSeconds = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--vdev-pair" => options with { VdevPair = Value() },
                "--mode" => options with { Mode = Enum.Parse<ForwardingMode>(Value(), ignoreCase: true) },
                "--flows" => options with { Flows = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--emc" => options with { ExactMatchCache = Value() switch { "on" => true, "off" => false, var v => throw new ArgumentException($"--emc takes on or off, not '{v}'.") } },
                "--rewrite" => options with { Rewrite = true },
                "--burst" => options with { Burst = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--in-flight" => options with { InFlightPerPort = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--mbufs" => options with { Mbufs = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--memory" => options with { MemoryMegabytes = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--devargs" => options with { Devargs = Value() },
                "--workers" => options with { Workers = int.Parse(Value(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option '{name}'."),
            };
        }
        if (options.VdevPair is not ("null" or "ring")) throw new ArgumentException("--vdev-pair takes null or ring.");
        if (options.Mode == ForwardingMode.Routed && options.Flows < 2) throw new ArgumentException("--flows must be at least 2 (half per direction).");
        if (options.Devargs is { } devargs && devargs.Split(';').Length != 2) throw new ArgumentException("--devargs takes two devargs separated by ';'.");
        if (options.Workers is < 1 or > 64) throw new ArgumentException("--workers must be between 1 and 64.");
        if (options.Burst is < 1 or > 64) throw new ArgumentException("--burst must be between 1 and 64.");
        if (options.Seconds <= 0 || options.WarmupSeconds < 0) throw new ArgumentException("--seconds must be positive and --warmup not negative.");
        return options;
    }
}
