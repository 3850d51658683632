using System.Diagnostics;
using System.Globalization;
using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;

namespace NetFabric.Benchmarks.Throughput;

/// <summary>
/// Packets per second through a running <see cref="PacketPipeline"/> with one worker thread: a generator thread
/// feeds 64-byte IPv4/UDP frames into a RingPort, the worker looks them up and executes their actions, and the
/// output RingPort's packets go back to the generator, which rewrites and resends them (zero copy otherwise).
/// Also measures flow installs per second into the megaflow classifier. Prints one line per scenario.
/// </summary>
internal static class ThroughputHarness
{
    private static readonly MacAddress RouterMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress NextHopMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress HostMac = MacAddress.Parse("02:00:00:00:00:0a");

    public static int Run(string[] args)
    {
        double seconds = 5;
        for (int i = 0; i + 1 < args.Length; i++)
            if (args[i] == "--seconds") seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
        if (args.Contains("--setups-only"))
        {
            RunSetups();
            return 0;
        }

        Console.WriteLine($"NetFabric throughput harness: 1 worker, 64-byte IPv4/UDP frames, burst 32, {seconds:0.#} s per scenario, {Environment.ProcessorCount} CPUs");
        Console.WriteLine("Same core: the traffic source and sink are ports the worker polls itself (like DPDK net_null).");
        Report("(a) EMC hit, output only, 1 flow", Forward(1, routing: false, exactMatchCache: true, seconds, crossCore: false));
        foreach (int flows in new[] { 1_000, 65_536, 1_000_000 })
            Report($"(b) megaflow hit, routing actions, {flows:N0} flows, EMC off", Forward(flows, routing: true, exactMatchCache: false, seconds, crossCore: false));
        Report("(b') routing actions, 1,000 flows, EMC on", Forward(1_000, routing: true, exactMatchCache: true, seconds, crossCore: false));
        Console.WriteLine("Cross core: a generator thread on the other core feeds and drains RingPorts.");
        Report("(a) EMC hit, output only, 1 flow", Forward(1, routing: false, exactMatchCache: true, seconds, crossCore: true));
        foreach (int flows in new[] { 1_000, 65_536 })
            Report($"(b) megaflow hit, routing actions, {flows:N0} flows, EMC off", Forward(flows, routing: true, exactMatchCache: false, seconds, crossCore: true));
        var (installs, installSeconds) = Installs(1_000_000);
        Console.WriteLine($"(c) flow installs into the classifier: {installs / installSeconds / 1e6:0.00} M/s ({installs:N0} in {installSeconds:0.00} s)");
        RunSetups();
        return 0;
    }

    private static void RunSetups()
    {
        foreach (bool routed in new[] { false, true })
        {
            string path = routed ? "bridge -> router -> bridge" : "bridge -> bridge";
            FlowSetups.Run(0, setups: 50_000, routed); // warm-up: the JIT settles on the simulation path
            foreach (int cached in new[] { 0, 65_536, 1_000_000 })
            {
                var (setups, setupSeconds, bytesPerFlow) = FlowSetups.Run(cached, setups: 200_000, routed);
                string memory = cached == 0 ? "" : $"; {bytesPerFlow:0} B of managed memory per cached flow";
                Console.WriteLine($"(d) flow setups, {path} (simulate + install), {cached:N0} flows already cached: {setups / setupSeconds / 1e3:0} k/s{memory}");
            }
        }
    }

    private static void Report(string name, (long Packets, double Seconds, long Allocated) result) =>
        Console.WriteLine($"  {name}: {result.Packets / result.Seconds / 1e6:0.00} Mpps, {(double)result.Allocated / Math.Max(1, result.Packets):0.000} B/packet allocated");

    private static (long Packets, double Seconds, long Allocated) Forward(int flows, bool routing, bool exactMatchCache, double seconds, bool crossCore)
    {
        const int inFlight = 4096;
        using var pool = new PacketPool(inFlight + 1024);
        using var pipeline = new PacketPipeline(new PipelineOptions
        {
            Workers = 1,
            PinThreads = true,
            IdlePollsBeforeSleep = 0,
            ExactMatchCacheEntries = exactMatchCache ? 8192 : 0,
            FlowCapacity = Math.Max(flows * 2, 1024),
        });
        var template = new byte[64];
        IpFrames.WriteUdp(template, HostMac, RouterMac, IPv4Address.Parse("198.18.0.10"), IPv4Address.Parse("198.19.0.0"), 1024, 2048, new byte[22]);

        RingPort? generator = null, sink = null;
        LoopbackPorts? loopback = null;
        uint inPort, outPort;
        if (crossCore)
        {
            (generator, var input) = RingPort.CreatePair("generator", "in", 8192);
            (var output, sink) = RingPort.CreatePair("out", "sink", 8192);
            inPort = pipeline.AddPort(input);
            outPort = pipeline.AddPort(output);
        }
        else
        {
            loopback = new LoopbackPorts(pool, inFlight, (buffer, i) => Fill(buffer, template, i % flows))
            {
                // Output-only programs leave a single flow's packets untouched; otherwise restore TTL and checksum
                // and write the next flow's destination.
                Refill = routing || flows > 1 ? (buffer, sequence) => Restore(buffer.Data, template, (int)(sequence % flows)) : null,
            };
            inPort = pipeline.AddPort(loopback.Source);
            outPort = pipeline.AddPort(loopback.Sink);
        }

        // One flow per destination address; matched on in_port, EtherType and IPv4 destination (a routed /32).
        var actions = routing
            ? ActionProgram.CreateBuilder().SetEthernetSource(RouterMac).SetEthernetDestination(NextHopMac).DecrementTtl().Output(outPort).Build()
            : ActionProgram.CreateBuilder().Output(outPort).Build();
        var maskBits = default(FlowKey);
        maskBits.InPort = uint.MaxValue;
        maskBits.EtherType = ushort.MaxValue;
        maskBits.NetworkDestination = new IPv6Address(0, uint.MaxValue);
        var mask = new FlowMask(maskBits);
        for (int f = 0; f < flows; f++)
        {
            FlowKey.Extract(FrameFor(template, f), inPort, out var key);
            pipeline.Flows.Insert(new FlowMatch(key, mask), actions, timeouts: FlowTimeouts.Never);
        }

        using var stop = new CancellationTokenSource();
        long delivered = 0;
        Thread? feeder = crossCore
            ? new Thread(() => Feed(pool, generator!, sink!, template, flows, inFlight, routing, stop.Token, ref delivered)) { IsBackground = true }
            : null;
        long Delivered() => crossCore ? Interlocked.Read(ref delivered) : loopback!.Delivered;
        pipeline.Start();
        feeder?.Start();
        Thread.Sleep(500); // warm-up: caches fill, the JIT settles
        long startPackets = Delivered();
        long startAllocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long packets = Delivered() - startPackets;
        double elapsed = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - startAllocated;
        stop.Cancel();
        feeder?.Join();
        pipeline.Stop();
        // Every generated packet belongs to a pre-installed flow: a miss means the harness is broken.
        var stats = pipeline.Statistics;
        if (stats.Misses > 0) Console.WriteLine($"    warning: {stats.Misses} misses: {stats}");
        return (packets, elapsed, allocated);
    }

    private static byte[] FrameFor(byte[] template, int flow)
    {
        var frame = (byte[])template.Clone();
        Rewrite(frame, flow);
        return frame;
    }

    // Sets the destination address to 198.19.x.y for the flow and fixes the header checksum incrementally.
    private static void Rewrite(Span<byte> frame, int flow)
    {
        uint old = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.Slice(30));
        uint destination = 0xC613_0000u + (uint)flow;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.Slice(30), destination);
        ushort checksum = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(24));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.Slice(24), Checksum.Update(checksum, old, destination));
    }

    // Resends what comes out. Output-only programs leave packets untouched and a single flow needs no new
    // destination, so those are resent as they are; otherwise the generator writes the next flow's destination
    // and restores the TTL and header checksum the routing actions changed (a NIC writing a fresh frame also
    // costs the worker a cache miss on the data, so this keeps the measurement honest).
    private static void Feed(PacketPool pool, RingPort generator, RingPort sink, byte[] template, int flows, int inFlight,
        bool rewrite, CancellationToken stop, ref long delivered)
    {
        // The worker is pinned to CPU 0; keep the generator off it.
        NetFabric.Datapath.Pipeline.Internal.ThreadAffinity.TryPinCurrentThread(Environment.ProcessorCount - 1);
        var burst = new PacketBuffer[32];
        int flow = 0;
        int filled = 0;
        while (filled < inFlight)
        {
            int count = pool.RentBatch(burst);
            for (int i = 0; i < count; i++)
            {
                Fill(burst[i], template, flow);
                if (++flow == flows) flow = 0;
            }
            generator.TxBurst(0, burst.AsSpan(0, count));
            filled += count;
        }
        while (!stop.IsCancellationRequested)
        {
            int count = sink.RxBurst(0, burst);
            if (count == 0) continue;
            Interlocked.Add(ref delivered, count);
            if (rewrite || flows > 1)
            {
                for (int i = 0; i < count; i++)
                {
                    Restore(burst[i].Data, template, flow);
                    if (++flow == flows) flow = 0;
                }
            }
            generator.TxBurst(0, burst.AsSpan(0, count));
        }
    }

    // Rewrites only what routing changed and what differs per flow: TTL, destination and header checksum.
    private static void Restore(Span<byte> frame, byte[] template, int flow)
    {
        frame[22] = template[22];
        template.AsSpan(24, 2).CopyTo(frame.Slice(24));
        template.AsSpan(30, 4).CopyTo(frame.Slice(30));
        Rewrite(frame, flow);
    }

    private static void Fill(PacketBuffer buffer, byte[] template, int flow)
    {
        buffer.Reset();
        buffer.TrySetLength(template.Length);
        var data = buffer.Data;
        template.CopyTo(data);
        Rewrite(data, flow);
    }

    private static (long Installs, double Seconds) Installs(int count)
    {
        var classifier = new MegaflowClassifier(count);
        var actions = ActionProgram.CreateBuilder().Output(2).Build();
        var maskBits = default(FlowKey);
        maskBits.InPort = uint.MaxValue;
        maskBits.NetworkDestination = new IPv6Address(0, uint.MaxValue);
        var mask = new FlowMask(maskBits);
        var matches = new FlowMatch[count];
        for (int i = 0; i < count; i++)
        {
            var key = default(FlowKey);
            key.InPort = 1;
            key.NetworkDestination = new IPv6Address(0, (uint)i);
            key.Layers = FlowKeyLayers.Transport;
            matches[i] = new FlowMatch(key, mask);
        }
        var clock = Stopwatch.StartNew();
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++) classifier.Insert(matches[i], actions, default, FlowTimeouts.Never, 0, now);
        return (count, clock.Elapsed.TotalSeconds);
    }
}
