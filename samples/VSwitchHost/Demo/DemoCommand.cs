using System.Diagnostics;
using System.Globalization;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;

namespace NetFabric.Samples.VSwitchHost.Demo;

/// <summary>
/// <c>demo</c>: builds <see cref="DemoTopology"/>, attaches each VM to an in-memory port of a pipeline whose
/// resolver is the decision engine, runs traffic (ARP, ICMP echo, UDP between every pair of VMs, across subnets
/// and tenants) for a few seconds with a progress line, then prints per-port statistics, cache hit rates, flows,
/// packets per second and the trace of one cross-subnet packet. Needs no root and no DPDK.
/// </summary>
public static class DemoCommand
{
    /// <summary>What the demo measured (for tests).</summary>
    public sealed record Summary(long Sent, long Received, long SegmentsSent, long SegmentsReceived, long PingsSent, long PingsAnswered, DatapathStatistics Datapath, int Flows);

    /// <summary>Runs the demo for <paramref name="seconds"/> seconds, writing its report to <paramref name="output"/>.</summary>
    public static Summary Run(double seconds, TextWriter output)
    {
        var topology = DemoTopology.Build();
        using var pool = new PacketPool(16_384);
        using var pipeline = new PacketPipeline(new PipelineOptions { Workers = 1, PinThreads = false });
        var vms = new List<VirtualMachine>();
        var hostPorts = new List<RingPort>();
        var interfaces = new Dictionary<string, uint>();
        foreach (var (name, mac, address, gateway) in DemoTopology.Vms)
        {
            var (host, datapath) = RingPort.CreatePair(name, "dp-" + name, 1024);
            hostPorts.Add(host);
            interfaces[name] = pipeline.AddPort(datapath);
            vms.Add(new VirtualMachine(name, MacAddress.Parse(mac), IPv4Prefix.Parse(address), IPv4Address.Parse(gateway), host, pool));
        }
        using var engine = new DecisionEngine(topology, interfaces) { Flows = pipeline.Flows };
        pipeline.Resolver = engine;

        output.WriteLine($"NetFabric demo: {topology.Devices.Count} virtual devices ({string.Join(", ", topology.Devices.Select(d => d.Name))}), {vms.Count} VMs, {seconds:0.#} s of traffic");
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromSeconds(1);
        int tick = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            // Every VM sends to every other VM in turn (UDP), and pings one of them now and then.
            for (int v = 0; v < vms.Count; v++)
            {
                var target = vms[(v + 1 + tick % (vms.Count - 1)) % vms.Count];
                vms[v].SendUdp(target.Address, tick);
                if (tick % 4 == 0) vms[v].SendTcp(target.Address, tick);
                if (tick % 64 == v) vms[v].Ping(target.Address, tick);
            }
            pipeline.Poll();
            foreach (var vm in vms) vm.Poll();
            tick++;
            if (clock.Elapsed >= nextReport)
            {
                var progress = pipeline.Statistics;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {clock.Elapsed.TotalSeconds:0}s: {progress.Packets:N0} packets, {vms.Sum(v => v.Received):N0}/{vms.Sum(v => v.Sent):N0} datagrams delivered, {pipeline.Flows.Count} flows"));
                nextReport += TimeSpan.FromSeconds(1);
            }
        }
        // Let the last packets (parked ones included) finish.
        for (int i = 0; i < 50; i++)
        {
            pipeline.Poll();
            foreach (var vm in vms) vm.Poll();
        }
        double elapsed = clock.Elapsed.TotalSeconds;
        var stats = pipeline.Statistics;
        var flows = pipeline.Flows.Statistics;

        output.WriteLine();
        output.WriteLine("Ports:");
        foreach (var (number, port) in pipeline.Ports.OrderBy(p => p.Key))
        {
            var s = port.Statistics;
            output.WriteLine($"  {number,2} {port.Name,-8} rx {s.RxPackets,9:N0}  tx {s.TxPackets,9:N0}  drops {s.RxDrops + s.TxDrops:N0}");
        }
        double hits = stats.ExactMatchHits + stats.MegaflowHits;
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Cache: {stats.Packets:N0} packets, {stats.ExactMatchHits:N0} exact-match hits ({100.0 * stats.ExactMatchHits / Math.Max(1, stats.Packets):0.0}%), {stats.MegaflowHits:N0} megaflow hits, {stats.Upcalls:N0} upcalls ({100.0 * hits / Math.Max(1, stats.Packets):0.0}% served from the caches)"));
        output.WriteLine($"Flows: {flows.Inserted:N0} installed, {flows.Invalidated:N0} invalidated, {flows.Expired:N0} expired, {pipeline.Flows.Count:N0} cached now; {stats.Parked:N0} packets parked on ARP");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Traffic: {vms.Sum(v => v.Received):N0} of {vms.Sum(v => v.Sent):N0} UDP datagrams and {vms.Sum(v => v.SegmentsReceived):N0} of {vms.Sum(v => v.SegmentsSent):N0} TCP segments delivered, {vms.Sum(v => v.PingsAnswered):N0} of {vms.Sum(v => v.PingsSent):N0} pings answered; {stats.Packets / elapsed / 1e6:0.000} Mpps through the datapath (one thread also running the eight VMs)"));

        // One cross-subnet, cross-tenant packet, explained hop by hop.
        var frame = new byte[128];
        int length = IpFrames.WriteUdp(frame, MacAddress.Parse(DemoTopology.Vms[0].Mac), MacAddress.Parse("02:00:00:00:01:01"),
            IPv4Address.Parse("198.18.1.10"), IPv4Address.Parse("198.18.4.11"), 40000, 7000, "netfabric demo"u8);
        output.WriteLine();
        output.WriteLine("Trace of vm1 -> vm8 (198.18.1.10 -> 198.18.4.11):");
        output.WriteLine(engine.Trace(interfaces["vm1"], frame.AsSpan(0, length)));

        var summary = new Summary(vms.Sum(v => v.Sent), vms.Sum(v => v.Received), vms.Sum(v => v.SegmentsSent), vms.Sum(v => v.SegmentsReceived), vms.Sum(v => v.PingsSent), vms.Sum(v => v.PingsAnswered), stats, pipeline.Flows.Count);
        foreach (var port in hostPorts) port.Dispose();
        return summary;
    }
}
