using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Flows;

namespace NetFabric.Benchmarks.Flows;

/// What a pipeline's periodic expiry costs the worker that runs it (and every upcall waiting on the write lock) when
/// nothing is due: one full scan of a classifier of 64k or 1M flows with 10-second idle timeouts, reported per scan.
[MemoryDiagnoser]
public class MegaflowClassifierExpiryBenchmarks
{
    private MegaflowClassifier _classifier = null!;
    private long _now;

    [Params(65_536, 1_000_000)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var output = ActionProgram.CreateBuilder().Output(2).Build();
        _now = Stopwatch.GetTimestamp();
        _classifier = new MegaflowClassifier(Flows);
        var timeouts = FlowTimeouts.Default;
        for (int i = 0; i < Flows; i++)
            _classifier.Insert(new FlowMatch(MegaflowClassifierBenchmarks.FlowKeyOf(i, 0), MegaflowClassifierBenchmarks.PortMacIp), output, timeouts: timeouts, now: _now);
    }

    [Benchmark(Description = "Expire, nothing due: a full scan")]
    public int FullScan() => _classifier.Expire(_now);
}
