using System.Globalization;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.Topology;

namespace NetFabric.Samples.VSwitchHost.Run;

/// <summary>
/// <c>run --topology FILE --port NAME=afpacket:IFACE|NAME=dpdk:DEVARGS … [--dpdk-args "…"]</c>: binds each exterior
/// port whose host interface is NAME to a Linux interface (AF_PACKET) or a DPDK device (a virtual device's devargs,
/// e.g. <c>net_af_packet0,iface=eth1</c> or <c>net_tap0</c>, or a PCI address) and forwards between them with the
/// decision engine until cancelled (Ctrl-C), printing statistics periodically. DPDK starts once, with the EAL
/// arguments of <c>--dpdk-args</c> (e.g. <c>"--no-huge -m 256"</c> on a machine without hugepages), only when a
/// port asks for it. Exit code 0 after a clean stop, 2 on bad input or a device that cannot be opened (one line
/// naming what is wrong).
/// </summary>
public static class RunCommand
{
    /// <summary>Exit code for bad arguments, an unreadable topology or an interface that cannot be opened.</summary>
    public const int BadInput = 2;

    /// <summary>Runs until <paramref name="cancel"/> is signalled.</summary>
    public static int Run(string topologyPath, IReadOnlyList<string> portSpecs, int workers, TimeSpan statsInterval,
        TextWriter output, TextWriter error, CancellationToken cancel, string? dpdkArguments = null)
    {
        TopologySnapshot topology;
        try
        {
            topology = TopologyFile.Load(topologyPath);
        }
        catch (Exception e) when (e is TopologyFileException or TopologyValidationException or IOException)
        {
            return Fail(error, e.Message.ReplaceLineEndings(" "));
        }
        var bound = topology.Ports.Values.Where(p => p.HostInterface is not null).Select(p => p.HostInterface!).ToHashSet();
        var bindings = new List<(string Name, string Kind, string Device)>();
        foreach (string spec in portSpecs)
        {
            int equals = spec.IndexOf('=');
            string name = equals > 0 ? spec[..equals] : "";
            string target = equals > 0 ? spec[(equals + 1)..] : "";
            int colon = target.IndexOf(':');
            string kind = colon > 0 ? target[..colon] : "";
            string device = colon > 0 ? target[(colon + 1)..] : "";
            if (name.Length == 0 || kind is not ("afpacket" or "dpdk") || device.Length == 0)
                return Fail(error, $"--port '{spec}' is not NAME=afpacket:IFACE or NAME=dpdk:DEVARGS.");
            if (!bound.Contains(name))
                return Fail(error, $"--port '{spec}': no exterior port of the topology is bound to '{name}' (known: {string.Join(", ", bound.Order())}).");
            bindings.Add((name, kind, device));
        }
        if (bindings.Count == 0) return Fail(error, "give at least one --port NAME=afpacket:IFACE or NAME=dpdk:DEVARGS.");
        DpdkRuntimeOptions? dpdkOptions = null;
        if (bindings.Any(b => b.Kind == "dpdk") || dpdkArguments is not null)
        {
            dpdkOptions = DpdkArguments.Parse(dpdkArguments, bindings.Where(b => b.Kind == "dpdk" && DpdkArguments.IsPciAddress(b.Device)).Select(b => b.Device.Split(',')[0]), out string? problem);
            if (dpdkOptions is null) return Fail(error, problem!);
        }

        using var pool = new PacketPool(16_384);
        var ports = new List<IPacketPort>();
        try
        {
            using var pipeline = new PacketPipeline(new PipelineOptions { Workers = workers });
            var interfaces = new Dictionary<string, uint>();
            // One DPDK environment per process: a second run in the same process (tests) reuses it.
            var dpdk = dpdkOptions is null ? null : DpdkRuntime.Current ?? DpdkRuntime.Start(dpdkOptions);
            foreach (var (name, kind, device) in bindings)
            {
                // The pipeline numbers ports 1, 2, … as they are added: a port that stamps its own number into what it
                // receives spares the worker a store per packet (the worker corrects any other number).
                uint number = (uint)ports.Count + 1;
                IPacketPort port = kind == "dpdk"
                    ? DpdkPort.Create(dpdk!, device, new DpdkPortOptions { Name = name, InPort = number })
                    : new AfPacketPort(device, pool, new AfPacketPortOptions { Name = name, InPort = number });
                ports.Add(port);
                interfaces[name] = pipeline.AddPort(port);
            }
            using var engine = new DecisionEngine(topology, interfaces) { Flows = pipeline.Flows };
            pipeline.Resolver = engine;
            pipeline.Start();
            output.WriteLine($"NetFabric: running {topologyPath} (version {topology.Version}) on {string.Join(", ", bindings.Select(b => $"{b.Name}={b.Kind}:{b.Device}"))} with {workers} worker(s); Ctrl-C stops.");
            while (!cancel.WaitHandle.WaitOne(statsInterval)) Report(output, pipeline);
            pipeline.Stop();
            Report(output, pipeline);
            return 0;
        }
        catch (Exception e) when (e is PortException or DpdkException or DpdkUnavailableException or ArgumentException)
        {
            return Fail(error, e.Message.ReplaceLineEndings(" "));
        }
        finally
        {
            foreach (var port in ports) port.Dispose();
        }
    }

    private static void Report(TextWriter output, PacketPipeline pipeline)
    {
        var s = pipeline.Statistics;
        string ports = string.Join("  ", pipeline.Ports.OrderBy(p => p.Key).Select(p => $"{p.Value.Name} rx {p.Value.Statistics.RxPackets} tx {p.Value.Statistics.TxPackets}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.Now:HH:mm:ss} packets {s.Packets} hits {s.ExactMatchHits + s.MegaflowHits} upcalls {s.Upcalls} flows {pipeline.Flows.Count} | {ports}"));
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"run: {message}");
        return BadInput;
    }
}
