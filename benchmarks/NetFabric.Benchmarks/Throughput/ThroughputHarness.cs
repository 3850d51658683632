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

        Console.WriteLine($"NetFabric throughput harness: 1 worker, 64-byte IPv4/UDP frames, burst 32, {seconds:0.#} s per scenario, {Environment.ProcessorCount} CPUs");
        Report("(a) EMC hit, output only, 1 flow", Forward(flows: 1, routing: false, exactMatchCache: true, seconds));
        foreach (int flows in new[] { 1_000, 65_536, 1_000_000 })
            Report($"(b) megaflow hit, routing actions, {flows:N0} flows, EMC off", Forward(flows, routing: true, exactMatchCache: false, seconds));
        Report("(b') routing actions, 1,000 flows, EMC on", Forward(1_000, routing: true, exactMatchCache: true, seconds));
        var (installs, installSeconds) = Installs(1_000_000);
        Console.WriteLine($"(c) flow installs into the classifier: {installs / installSeconds / 1e6:0.00} M/s ({installs:N0} in {installSeconds:0.00} s)");
        return 0;
    }

    private static void Report(string name, (long Packets, double Seconds, long Allocated) result) =>
        Console.WriteLine($"{name}: {result.Packets / result.Seconds / 1e6:0.00} Mpps, {(double)result.Allocated / Math.Max(1, result.Packets):0.000} B/packet allocated");

    private static (long Packets, double Seconds, long Allocated) Forward(int flows, bool routing, bool exactMatchCache, double seconds)
    {
        const int inFlight = 4096;
        using var pool = new PacketPool(inFlight + 1024);
        var (generator, input) = RingPort.CreatePair("generator", "in", 8192);
        var (output, sink) = RingPort.CreatePair("out", "sink", 8192);
        using var pipeline = new PacketPipeline(new PipelineOptions
        {
            Workers = 1,
            PinThreads = true,
            IdlePollsBeforeSleep = 0,
            ExactMatchCacheEntries = exactMatchCache ? 8192 : 0,
            FlowCapacity = Math.Max(flows * 2, 1024),
        });
        uint inPort = pipeline.AddPort(input);
        uint outPort = pipeline.AddPort(output);

        // One flow per destination address; matched on in_port, EtherType and IPv4 destination (a routed /32).
        var actions = routing
            ? ActionProgram.CreateBuilder().SetEthernetSource(RouterMac).SetEthernetDestination(NextHopMac).DecrementTtl().Output(outPort).Build()
            : ActionProgram.CreateBuilder().Output(outPort).Build();
        var maskBits = default(FlowKey);
        maskBits.InPort = uint.MaxValue;
        maskBits.EtherType = ushort.MaxValue;
        maskBits.NetworkDestination = new IPv6Address(0, uint.MaxValue);
        var mask = new FlowMask(maskBits);
        var template = new byte[64];
        IpFrames.WriteUdp(template, HostMac, RouterMac, IPv4Address.Parse("198.18.0.10"), IPv4Address.Parse("198.19.0.0"), 1024, 2048, new byte[22]);
        for (int f = 0; f < flows; f++)
        {
            var frame = FrameFor(template, f);
            FlowKey.Extract(frame, inPort, out var key);
            pipeline.Flows.Insert(new FlowMatch(key, mask), actions, timeouts: FlowTimeouts.Never);
        }

        using var stop = new CancellationTokenSource();
        long delivered = 0;
        var feeder = new Thread(() => Feed(pool, generator, sink, template, flows, inFlight, stop.Token, ref delivered)) { IsBackground = true };
        pipeline.Start();
        feeder.Start();
        Thread.Sleep(500); // warm-up: caches fill, the JIT settles
        long startPackets = Interlocked.Read(ref delivered);
        long startAllocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long packets = Interlocked.Read(ref delivered) - startPackets;
        double elapsed = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - startAllocated;
        stop.Cancel();
        feeder.Join();
        pipeline.Stop();
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

    private static void Feed(PacketPool pool, RingPort generator, RingPort sink, byte[] template, int flows, int inFlight,
        CancellationToken stop, ref long delivered)
    {
        var burst = new PacketBuffer[32];
        int flow = 0;
        int filled = 0;
        while (filled < inFlight)
        {
            int count = pool.RentBatch(burst);
            for (int i = 0; i < count; i++) Fill(burst[i], template, flow++ % flows);
            generator.TxBurst(0, burst.AsSpan(0, count));
            filled += count;
        }
        while (!stop.IsCancellationRequested)
        {
            int count = sink.RxBurst(0, burst);
            if (count == 0) continue;
            Interlocked.Add(ref delivered, count);
            for (int i = 0; i < count; i++)
            {
                if (++flow == flows) flow = 0;
                Fill(burst[i], template, flow);
            }
            generator.TxBurst(0, burst.AsSpan(0, count));
        }
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
