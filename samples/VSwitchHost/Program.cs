using System.CommandLine;
using NetFabric.Datapath.Dpdk;
using NetFabric.Samples.VSwitchHost.Demo;
using NetFabric.Samples.VSwitchHost.Inspect;
using NetFabric.Samples.VSwitchHost.Run;
using NetFabric.Samples.VSwitchHost.Trace;

// The sample vSwitch host: `demo` runs a virtual network, `inspect` decodes captures, `trace` explains a decision.
var file = new Argument<string>("file") { Description = "A pcap or pcapng capture file." };
var inspect = new Command("inspect", "Print one line per frame (like tcpdump -e -n) and its NetFabric flow key.") { file };
inspect.SetAction(result => InspectCommand.Run(result.GetValue(file)!, Console.Out, Console.Error));

var topology = new Option<string>("--topology") { Description = "A topology file (YAML or JSON).", Required = true };
var inPort = new Option<string>("--in-port") { Description = "The exterior port the frame arrives on: its host interface name or device/port.", Required = true };
var frame = new Option<string?>("--frame") { Description = "The frame as hexadecimal bytes." };
var pcap = new Option<string?>("--pcap") { Description = "A capture whose first frame is traced." };
var trace = new Command("trace", "Simulate one frame through a topology and print the decision hop by hop.") { topology, inPort, frame, pcap };
trace.SetAction(result => TraceCommand.Run(result.GetValue(topology)!, result.GetValue(inPort)!, result.GetValue(frame), result.GetValue(pcap), Console.Out, Console.Error));

var seconds = new Option<double>("--seconds") { Description = "How long to run traffic.", DefaultValueFactory = _ => 3 };
var demo = new Command("demo", "Run a two-tenant virtual network of routers, bridges and VMs on in-memory ports, then print statistics and a trace.") { seconds };
demo.SetAction(result =>
{
    DemoCommand.Run(result.GetValue(seconds), Console.Out);
    return 0;
});

var runTopology = new Option<string>("--topology") { Description = "A topology file (YAML or JSON).", Required = true };
var portSpecs = new Option<string[]>("--port") { Description = "NAME=afpacket:IFACE or NAME=dpdk:DEVARGS (e.g. dpdk:net_af_packet0,iface=eth1, dpdk:0000:03:00.0): bind the exterior port whose host interface is NAME to a Linux interface or a DPDK device.", AllowMultipleArgumentsPerToken = true };
var dpdkArgs = new Option<string?>("--dpdk-args") { Description = "EAL arguments for DPDK ports, e.g. \"--no-huge -m 256\" without hugepages." };
var workers = new Option<int>("--workers") { Description = "Worker threads.", DefaultValueFactory = _ => 1 };
var statsEvery = new Option<double>("--stats-interval") { Description = "Seconds between statistics lines.", DefaultValueFactory = _ => 5 };
var run = new Command("run", "Run a topology on real interfaces until Ctrl-C, printing statistics.") { runTopology, portSpecs, workers, statsEvery, dpdkArgs };
run.SetAction(result =>
{
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    try
    {
        return RunCommand.Run(result.GetValue(runTopology)!, result.GetValue(portSpecs) ?? [], result.GetValue(workers),
            TimeSpan.FromSeconds(result.GetValue(statsEvery)), Console.Out, Console.Error, stop.Token, result.GetValue(dpdkArgs));
    }
    finally
    {
        // The run leaves the process's DPDK environment up (a second run in one process reuses it); the process
        // ends here, so shut it down: that releases its memory and removes its runtime directory.
        DpdkRuntime.Current?.Dispose();
    }
});

var root = new RootCommand("NetFabric sample vSwitch host.") { demo, run, inspect, trace };
return root.Parse(args).Invoke();
