using System.Diagnostics.Metrics;

namespace NetFabric.Datapath.Pipeline;

/// <summary>
/// Publishes a pipeline's counters through <see cref="System.Diagnostics.Metrics"/> under the meter
/// <c>NetFabric.Datapath</c> (collect with dotnet-counters, OpenTelemetry, or a <see cref="MeterListener"/>).
/// Instruments are observable: nothing is recorded per packet; values are read from the workers' and ports'
/// counters when a listener collects.
/// </summary>
public sealed class DatapathMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "NetFabric.Datapath";

    private readonly Meter _meter;

    internal Meter Meter => _meter;

    internal DatapathMetrics(PacketPipeline pipeline)
    {
        _meter = new Meter(MeterName);
        IEnumerable<Measurement<long>> PerPort(Func<Ports.PortStatistics, long> select) =>
            pipeline.Ports.Select(p => new Measurement<long>(select(p.Value.Statistics), new KeyValuePair<string, object?>("port", p.Value.Name)));
        IEnumerable<Measurement<long>> PerWorker(Func<DatapathStatistics, long> select) =>
            pipeline.Workers.Select(w => new Measurement<long>(select(w.Statistics), new KeyValuePair<string, object?>("worker", w.Id)));

        _meter.CreateObservableCounter("netfabric.port.rx.packets", () => PerPort(s => s.RxPackets), "{packet}", "Packets received per port.");
        _meter.CreateObservableCounter("netfabric.port.rx.bytes", () => PerPort(s => s.RxBytes), "By", "Bytes received per port.");
        _meter.CreateObservableCounter("netfabric.port.tx.packets", () => PerPort(s => s.TxPackets), "{packet}", "Packets sent per port.");
        _meter.CreateObservableCounter("netfabric.port.tx.bytes", () => PerPort(s => s.TxBytes), "By", "Bytes sent per port.");
        _meter.CreateObservableCounter("netfabric.port.drops", () => PerPort(s => s.RxDrops + s.TxDrops), "{packet}", "Packets dropped by ports.");
        _meter.CreateObservableCounter("netfabric.port.errors", () => PerPort(s => s.Errors), "{error}", "Port errors.");
        _meter.CreateObservableCounter("netfabric.emc.hits", () => PerWorker(s => s.ExactMatchHits), "{packet}", "Exact-match cache hits.");
        _meter.CreateObservableCounter("netfabric.emc.skipped", () => PerWorker(s => s.ExactMatchSkipped), "{packet}", "Packets that skipped the exact-match cache while its hit rate was too low.");
        _meter.CreateObservableCounter("netfabric.megaflow.hits", () => PerWorker(s => s.MegaflowHits), "{packet}", "Megaflow classifier hits.");
        _meter.CreateObservableCounter("netfabric.misses", () => PerWorker(s => s.Misses), "{packet}", "Packets no cached flow matched.");
        _meter.CreateObservableCounter("netfabric.upcalls", () => PerWorker(s => s.Upcalls), "{call}", "Resolver calls.");
        _meter.CreateObservableCounter("netfabric.upcalls.rate_limited", () => PerWorker(s => s.UpcallsRateLimited), "{packet}", "Misses dropped by the upcall rate limit.");
        _meter.CreateObservableCounter("netfabric.parked", () => PerWorker(s => s.Parked), "{packet}", "Packets parked awaiting resolution.");
        _meter.CreateObservableCounter("netfabric.parked.dropped", () => PerWorker(s => s.ParkingOverflows + s.ParkingTimeouts), "{packet}", "Parked packets dropped (queue full or timed out).");
        _meter.CreateObservableCounter("netfabric.resolver.errors", () => PerWorker(s => s.ResolverErrors), "{call}", "Resolver calls that threw.");
        _meter.CreateObservableCounter("netfabric.flows.installed", () => PerWorker(s => s.FlowsInstalled), "{flow}", "Flows installed.");
        _meter.CreateObservableCounter("netfabric.flows.expired", () => pipeline.Flows.Statistics.Expired, "{flow}", "Flows removed by timeouts.");
        _meter.CreateObservableCounter("netfabric.flows.evicted", () => pipeline.Flows.Statistics.Evicted, "{flow}", "Flows evicted to make room (least recently used).");
        _meter.CreateObservableCounter("netfabric.flows.invalidated", () => pipeline.Flows.Statistics.Invalidated, "{flow}", "Flows removed because something they relied on changed.");
        _meter.CreateObservableGauge("netfabric.flows.active", () => pipeline.Flows.Count, "{flow}", "Flows in the megaflow cache.");
        _meter.CreateObservableCounter("netfabric.drops", () => PerWorker(s => s.DroppedByAction + s.DroppedOther), "{packet}", "Packets dropped by the datapath.");
    }

    /// <summary>Disposes the meter.</summary>
    public void Dispose() => _meter.Dispose();
}
