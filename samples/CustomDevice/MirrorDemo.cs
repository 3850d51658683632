using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Pipeline;
using NetFabric.Datapath.Ports;
using NetFabric.Datapath.Protocols;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.Topology;

namespace NetFabric.Samples.CustomDevice;

/// <summary>Wires a <see cref="PortMirror"/> into a pipeline over in-memory ports and sends traffic through it.</summary>
public static class MirrorDemo
{
    /// <summary>What the demo observed.</summary>
    public sealed record Result(int ReceivedOut, int ReceivedMirror, int ReceivedIn, long Upcalls, string Trace);

    /// <summary>Sends <paramref name="frames"/> frames from "in" and one back from "out"; returns what each port received.</summary>
    public static Result Run(int frames = 10)
    {
        // 1. A topology with one device of three exterior ports; the mirror replaces its simulation.
        var topology = new TopologyBuilder()
            .Bridge("tap", b => b.Port("in", exterior: "in").Port("out", exterior: "out").Port("mirror", exterior: "mirror"))
            .Build();
        var device = topology.Device("tap");
        ulong Port(string name) => device.FindPort(name)!.Id.Value;

        // 2. A pipeline with one in-memory port per exterior port, and the engine as its resolver.
        using var pool = new PacketPool(256);
        using var pipeline = new PacketPipeline(new PipelineOptions { Workers = 1, PinThreads = false });
        var hosts = new Dictionary<string, RingPort>();
        var interfaces = new Dictionary<string, uint>();
        foreach (string name in new[] { "in", "out", "mirror" })
        {
            var (host, datapath) = RingPort.CreatePair(name, "dp-" + name, 64);
            hosts[name] = host;
            interfaces[name] = pipeline.AddPort(datapath);
        }
        using var engine = new DecisionEngine(topology, interfaces) { Flows = pipeline.Flows };
        engine.Register(device.Id, new PortMirror(device.Id.Tag, Port("in"), Port("out"), Port("mirror")));
        pipeline.Resolver = engine;

        // 3. Traffic.
        var frame = new byte[64];
        int length = IpFrames.WriteUdp(frame, MacAddress.Parse("02:00:00:00:00:01"), MacAddress.Parse("02:00:00:00:00:02"),
            IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"), 1000, 2000, new byte[10]);
        for (int i = 0; i < frames; i++) Send(pool, hosts["in"], frame.AsSpan(0, length));
        pipeline.Poll();
        Send(pool, hosts["out"], frame.AsSpan(0, length));
        pipeline.Poll();

        var result = new Result(Drain(hosts["out"]), Drain(hosts["mirror"]), Drain(hosts["in"]), pipeline.Statistics.Upcalls,
            engine.Trace(interfaces["in"], frame.AsSpan(0, length)).ToString());
        foreach (var host in hosts.Values) host.Dispose();
        return result;
    }

    private static void Send(PacketPool pool, RingPort port, ReadOnlySpan<byte> frame)
    {
        if (!pool.TryRent(out var buffer)) return;
        buffer.TrySetLength(frame.Length);
        frame.CopyTo(buffer.Data);
        port.TxBurst(0, [buffer]);
    }

    private static int Drain(RingPort port)
    {
        var buffers = new PacketBuffer[64];
        int total = 0, count;
        while ((count = port.RxBurst(0, buffers)) > 0)
        {
            total += count;
            foreach (var buffer in buffers.AsSpan(0, count)) buffer.Release();
        }
        return total;
    }
}
