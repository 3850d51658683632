using System.Diagnostics;
using System.Globalization;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Pipeline.Internal;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Benchmarks.Dpdk;

/// <summary>
/// NetFabric forwarding between two DPDK virtual ports, set up like <c>dpdk-testpmd</c> so the two can be compared
/// (<c>benchmarks/dpdk/side-by-side.sh</c> runs both): <c>--no-huge</c>, a mempool of 8191 mbufs, one forwarding
/// core (CPU 0; DPDK's main lcore, the thread that sleeps and prints, on CPU 1), bursts of 32, 64-byte frames, and
/// the forwarded rate counted as testpmd's Tx-pps summed over both ports.
/// </summary>
/// <remarks>
/// <para><b>net_null</b> (<c>net_null0</c>, <c>net_null1</c>, default devargs: 64-byte frames, no copy): receive takes
/// fresh mbufs from the mempool and transmit frees them, so every packet costs an mbuf allocation and free, as in
/// testpmd. The frames hold whatever their mbufs last held.</para>
/// <para><b>net_ring</b> (<c>net_ring0</c>, <c>net_ring1</c>: each one rte_ring its transmit fills and its receive
/// drains, the devices testpmd gets from the same <c>--vdev</c>s): before forwarding starts each port is sent
/// <see cref="DpdkBenchmarkOptions.InFlightPerPort"/> frames (testpmd's <c>--tx-first</c>), which then circulate
/// A → B → A; no mbuf is allocated or freed while measuring.</para>
/// <para>Modes: <c>io</c> forwards without a lookup (<see cref="IoForwarder"/>); <c>output</c> and <c>routed</c> run a
/// <see cref="PacketPipeline"/> with one worker whose ports restore each received frame into the next flow's
/// (<see cref="FreshFramePort"/>). Port A's frames cycle over the first half of the flows and B's over the second;
/// each flow is one megaflow matched on in-port, EtherType and IPv4 destination, with the routing actions (set
/// Ethernet source and destination, decrement TTL with the RFC 1624 checksum update, output to the other port).</para>
/// </remarks>
internal static class DpdkHarness
{
    private const int ForwardingCpu = 0;
    private const int MainCpu = 1;

    public static int Run(string[] args)
    {
        DpdkBenchmarkOptions options;
        try
        {
            options = DpdkBenchmarkOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"dpdk: {e.Message}");
            Console.Error.WriteLine("usage: dpdk [--seconds N] [--warmup N] [--vdev-pair null|ring] [--mode io|output|routed] [--flows N] [--emc on|off] [--rewrite] [--burst N] [--in-flight N] [--mbufs N] [--memory MB] [--devargs \"A;B\"]");
            return 2;
        }

        try
        {
            return Forward(options);
        }
        catch (Exception e) when (e is DpdkException or DpdkUnavailableException or PortException)
        {
            // Not root, no DPDK, devargs DPDK refuses: the message says what to do.
            Console.Error.WriteLine($"dpdk: {e.Message}");
            return 1;
        }
    }

    private static int Forward(DpdkBenchmarkOptions options)
    {
        // This thread only sleeps and reads counters: keep it off the forwarding core, as testpmd's main lcore is.
        ThreadAffinity.TryPinCurrentThread(MainCpu);
        using var runtime = DpdkRuntime.Start(new DpdkRuntimeOptions
        {
            Cores = MainCpu.ToString(CultureInfo.InvariantCulture),
            NoHugePages = true,
            MemoryMegabytes = options.MemoryMegabytes,
            MbufCount = options.Mbufs,
            FilePrefix = $"nfbench-{Environment.ProcessId}",
        });
        var devices = options.Devices;
        using var first = DpdkPort.Create(runtime, devices.First, new DpdkPortOptions { InPort = 1 });
        using var second = DpdkPort.Create(runtime, devices.Second, new DpdkPortOptions { InPort = 2 });
        Console.WriteLine($"{runtime.DpdkVersion}; shim {DpdkRuntime.NativeLibraryPath}; EAL: {string.Join(' ', runtime.EalArguments)}");
        Console.WriteLine($"ports: {first.Name} ({first.DriverName}, gc transition suppressed: {first.SuppressesGCTransition}), {second.Name} ({second.DriverName})");

        var frames = new FlowFrames();
        if (options.VdevPair == "null") PrimeMempool(runtime, first, frames);
        else Prime(frames, options.InFlightPerPort, first, second);

        int flows = options.Mode switch
        {
            ForwardingMode.Io => 2,
            ForwardingMode.Output => 2,
            _ => options.Flows,
        };
        int firstHalf = (flows + 1) / 2;
        IPacketPort portA = first, portB = second;
        if (options.RewritesFrames)
        {
            portA = new FreshFramePort(first, frames, 0, firstHalf);
            portB = new FreshFramePort(second, frames, firstHalf, flows - firstHalf);
        }

        string label = Label(options, flows);
        string cores = options.Mode == ForwardingMode.Io || options.Workers == 1
            ? $"1 forwarding core (CPU {ForwardingCpu})"
            : $"{options.Workers} workers (CPUs {ForwardingCpu}-{ForwardingCpu + options.Workers - 1}; single-queue ports spread by flow hash)";
        Console.WriteLine($"NetFabric on DPDK: {label}, {cores}, burst {options.Burst}, {options.Seconds:0.#} s after {options.WarmupSeconds:0.#} s warm-up");

        (long Packets, double Seconds, long Allocated) result;
        DatapathStatistics? statistics = null;
        if (options.Mode == ForwardingMode.Io)
        {
            var forwarder = new IoForwarder(portA, portB, options.Burst, ForwardingCpu);
            forwarder.Start();
            result = Measure(options, first, second);
            forwarder.Stop();
        }
        else
        {
            long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            using var pipeline = BuildPipeline(options, frames, portA, portB, flows, firstHalf);
            Console.WriteLine($"  {flows:N0} megaflows installed; managed heap grew by {(GC.GetTotalMemory(forceFullCollection: true) - heapBefore) / 1e6:0.0} MB (pipeline included)");
            pipeline.Start();
            result = Measure(options, first, second);
            pipeline.Stop();
            statistics = pipeline.Statistics;
        }

        double mpps = result.Packets / result.Seconds / 1e6;
        double allocatedPerPacket = (double)result.Allocated / Math.Max(1, result.Packets);
        Console.WriteLine($"  forwarded: {mpps:0.00} Mpps (both ports' transmits summed), {allocatedPerPacket:0.000} B/packet allocated");
        Console.WriteLine($"  threads registered with DPDK (own mempool cache): {runtime.RegisteredThreads}, unregistered: {runtime.UnregisteredThreads}");
        Console.WriteLine($"  threads registered with DPDK (own mempool cache): {runtime.RegisteredThreads}, unregistered: {runtime.UnregisteredThreads}");
        Console.WriteLine($"  {first.Name}: {first.Statistics}");
        Console.WriteLine($"  {second.Name}: {second.Statistics}");
        if (statistics is { } s)
        {
            Console.WriteLine($"  pipeline: {s.Packets:N0} packets, {Share(s.ExactMatchHits, s.Packets)} EMC hits, {Share(s.ExactMatchSkipped, s.Packets)} skipped the EMC, {Share(s.MegaflowHits, s.Packets)} megaflow hits, " +
                $"{s.Misses} misses, {s.Upcalls} upcalls, {s.DroppedByAction + s.DroppedOther} dropped, {s.Malformed} malformed");
            // Every frame belongs to an installed flow and is restored with TTL 64: anything else means the set-up is broken.
            if (s.Misses > 0 || s.Upcalls > 0 || s.Malformed > 0 || s.DroppedByAction + s.DroppedOther > 0)
                Console.WriteLine("  warning: misses, upcalls, drops or malformed frames: the measured path is not the hit path");
        }
        var ports = first.Statistics + second.Statistics;
        if (ports.RxDrops + ports.TxDrops + ports.Errors > 0) Console.WriteLine($"  warning: the ports dropped packets: {ports}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"result tool=netfabric vdev={options.VdevPair} mode={options.Mode.ToString().ToLowerInvariant()} flows={flows} emc={(options.Mode == ForwardingMode.Io ? "-" : options.ExactMatchCache ? "on" : "off")} rewrite={(options.RewritesFrames ? "yes" : "no")} mpps={mpps:0.000}"));
        return 0;
    }

    private static string Label(DpdkBenchmarkOptions options, int flows) => options.Mode switch
    {
        ForwardingMode.Io => $"{options.VdevPair} pair, io (no lookup){(options.Rewrite ? ", frames rewritten on receive" : "")}",
        ForwardingMode.Output => $"{options.VdevPair} pair, pipeline, 1 flow per direction, output only, EMC {(options.ExactMatchCache ? "on" : "off")}",
        _ => $"{options.VdevPair} pair, pipeline, {flows:N0} routed flows, EMC {(options.ExactMatchCache ? "on" : "off")}",
    };

    private static string Share(long part, long whole) => whole == 0 ? "0 %" : $"{100.0 * part / whole:0.#} %";

    private static PacketPipeline BuildPipeline(DpdkBenchmarkOptions options, FlowFrames frames, IPacketPort portA, IPacketPort portB, int flows, int firstHalf)
    {
        var pipeline = new PacketPipeline(new PipelineOptions
        {
            Workers = options.Workers,
            PinThreads = true, // worker i on CPU i
            IdlePollsBeforeSleep = 0,
            BurstSize = options.Burst,
            ExactMatchCacheEntries = options.ExactMatchCache ? 8192 : 0,
            FlowCapacity = Math.Max(flows * 2, 1024),
        });
        uint a = pipeline.AddPort(portA), b = pipeline.AddPort(portB);
        // The ports stamp these numbers into every received buffer, so the worker never has to.
        if (a != 1 || b != 2) throw new InvalidOperationException("The pipeline numbered the ports unexpectedly.");

        var maskBits = default(FlowKey);
        maskBits.InPort = uint.MaxValue;
        maskBits.EtherType = ushort.MaxValue;
        maskBits.NetworkDestination = new IPv6Address(0, uint.MaxValue);
        var mask = new FlowMask(maskBits);
        ActionProgram Actions(uint output) => options.Mode == ForwardingMode.Routed
            ? ActionProgram.CreateBuilder().SetEthernetSource(FlowFrames.RouterMac).SetEthernetDestination(FlowFrames.NextHopMac).DecrementTtl().Output(output).Build()
            : ActionProgram.CreateBuilder().Output(output).Build();
        var toB = Actions(b);
        var toA = Actions(a);
        for (int flow = 0; flow < flows; flow++)
        {
            bool fromA = flow < firstHalf;
            FlowKey.Extract(frames.FrameFor(flow), fromA ? a : b, out var key);
            pipeline.Flows.Insert(new FlowMatch(key, mask), fromA ? toB : toA, timeouts: FlowTimeouts.Never);
        }
        return pipeline;
    }

    private static (long Packets, double Seconds, long Allocated) Measure(DpdkBenchmarkOptions options, DpdkPort first, DpdkPort second)
    {
        long Forwarded() => first.Statistics.TxPackets + second.Statistics.TxPackets;
        Thread.Sleep(TimeSpan.FromSeconds(options.WarmupSeconds)); // caches fill, tiered JIT settles on the loop
        long startPackets = Forwarded();
        long startAllocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var samples = new List<double>();
        long last = startPackets;
        double lastTime = 0;
        // One sample per second against fixed deadlines, so a late wake-up shortens the next sleep instead of
        // shifting every later sample.
        int count = (int)Math.Ceiling(options.Seconds);
        for (int k = 1; k <= count; k++)
        {
            double deadline = Math.Min(k, options.Seconds);
            double wait;
            while ((wait = deadline - clock.Elapsed.TotalSeconds) > 0)
                Thread.Sleep(TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(wait * 1000))));
            double time = clock.Elapsed.TotalSeconds;
            long now = Forwarded();
            samples.Add((now - last) / (time - lastTime) / 1e6);
            last = now;
            lastTime = time;
        }
        long packets = Forwarded() - startPackets;
        double elapsed = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - startAllocated;
        Console.WriteLine($"  per second (Mpps): {string.Join(' ', samples.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)))}");
        return (packets, elapsed, allocated);
    }

    // testpmd's --tx-first: one burst of frames into each ring, which then circulate. The frames come from an
    // ordinary pool; the port copies them into mbufs of the runtime's mempool as it transmits them.
    private static void Prime(FlowFrames frames, int perPort, DpdkPort first, DpdkPort second)
    {
        using var pool = new PacketPool(perPort * 2);
        var burst = new PacketBuffer[perPort];
        foreach (var port in new[] { first, second })
        {
            int count = pool.RentBatch(burst);
            for (int i = 0; i < count; i++)
            {
                burst[i].Reset();
                burst[i].TrySetLength(FlowFrames.FrameLength);
                frames.Write(burst[i].Data, i);
            }
            int sent = port.TxBurst(0, burst.AsSpan(0, count));
            Console.WriteLine($"  primed {port.Name} with {sent} of {count} frames");
        }
    }

    // What net_null hands a receiver is the length it is configured for and whatever bytes its mbufs last held (its
    // receive allocates from the mempool and writes only the lengths and the port). So the harness says what the
    // first frame looks like, then receives every mbuf of the mempool once, writes a whole frame into it and frees
    // it: from then on every mbuf net_null hands out holds a valid frame, which FreshFramePort only has to restore.
    private static void PrimeMempool(DpdkRuntime runtime, DpdkPort port, FlowFrames frames)
    {
        var held = new PacketBuffer[runtime.MbufCount];
        int count = 0;
        // Receive allocates a whole burst or nothing: bursts of 32 first, then one at a time for the last few.
        foreach (int burst in new[] { 32, 1 })
        {
            while (count + burst <= held.Length)
            {
                int received = port.RxBurst(0, held.AsSpan(count, burst));
                if (received == 0) break;
                if (count == 0)
                {
                    var first = held[0].Data;
                    bool zero = !first.ContainsAnyExcept((byte)0);
                    Console.WriteLine($"  {port.Name} delivers {first.Length}-byte frames; the first one {(zero ? "is all zero" : "starts " + Convert.ToHexString(first[..Math.Min(16, first.Length)]))}");
                }
                count += received;
            }
        }
        int written = 0;
        for (int i = 0; i < count; i++)
        {
            if (held[i].Data.Length < FlowFrames.FrameLength) continue;
            frames.Write(held[i].Data, 0);
            written++;
        }
        for (int i = 0; i < count; i++) held[i].Release();
        runtime.FlushReleases();
        Console.WriteLine($"  primed the mempool: wrote a frame into {written} of {runtime.MbufCount} mbufs; {runtime.AvailableMbufs} available again");
    }
}
