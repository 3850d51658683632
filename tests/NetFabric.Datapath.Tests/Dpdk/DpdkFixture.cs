using System.Runtime.InteropServices;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Ports;

namespace NetFabric.Datapath.Tests.Dpdk;

/// The test process's one DPDK runtime (DPDK allows one EAL per process, initialised once): started by the first
/// test of the "Dpdk" collection, shared by all of them, shut down after the last. Without hugepages and with
/// 256 MiB, so it starts in a fraction of a second on any Linux machine where the process may run DPDK.
/// When DPDK cannot start (no shim, no libdpdk, not root) the tests skip with the reason.
public sealed partial class DpdkFixture : IDisposable
{
    public DpdkFixture()
    {
        if (!OperatingSystem.IsLinux())
        {
            SkipReason = "DPDK ports exist only on Linux.";
            return;
        }
        try
        {
            Runtime = DpdkRuntime.Current ?? DpdkRuntime.Start(Options);
        }
        catch (DpdkUnavailableException e)
        {
            SkipReason = "DPDK is not available: " + e.Message;
        }
        catch (DpdkException e)
        {
            SkipReason = (geteuid() != 0 ? "Needs root (CI runs these tests as root). " : "") + e.Message;
        }
        catch (InvalidOperationException e)
        {
            // Another part of this process already started (and stopped) DPDK, which cannot start twice.
            SkipReason = e.Message;
        }
    }

    public static DpdkRuntimeOptions Options { get; } = new()
    {
        NoHugePages = true,
        MemoryMegabytes = 256,
        FilePrefix = $"netfabric-test-{Environment.ProcessId}",
        MbufCount = 8191,
        MbufCacheSize = 64,
        ClonePoolSize = 256,
    };

    public DpdkRuntime? Runtime { get; }

    public string? SkipReason { get; }

    /// The runtime, or a skip with the reason DPDK could not start.
    public DpdkRuntime Require()
    {
        if (Runtime is null) Assert.Skip(SkipReason ?? "DPDK did not start.");
        return Runtime;
    }

    public void Dispose() => Runtime?.Dispose();

    [LibraryImport("libc")]
    private static partial uint geteuid();
}

/// DPDK tests share one runtime and run one at a time, after the parallel tests (one EAL, one mempool).
[CollectionDefinition("Dpdk", DisableParallelization = true)]
public sealed class DpdkCollection : ICollectionFixture<DpdkFixture>;

/// Sends and receives byte arrays through ports, for the DPDK tests.
internal static class DpdkTraffic
{
    /// Deterministic frames of varied lengths (60 to 1514 bytes) whose bytes say which frame they are.
    public static byte[][] Frames(int count, int seed = 1)
    {
        var random = new Random(seed);
        var frames = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            var frame = new byte[random.Next(60, 1515)];
            random.NextBytes(frame);
            BitConverter.TryWriteBytes(frame.AsSpan(0, 4), i);
            frames[i] = frame;
        }
        return frames;
    }

    /// Copies each frame into a buffer rented from <paramref name="pool"/> and transmits them in one burst.
    public static int SendFromPool(IPacketPort port, PacketPool pool, byte[][] frames, int queue = 0)
    {
        var buffers = new PacketBuffer[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.True(pool.TryRent(out buffers[i]));
            Assert.True(buffers[i].TrySetLength(frames[i].Length));
            frames[i].CopyTo(buffers[i].Data);
        }
        return port.TxBurst(queue, buffers);
    }

    /// Receives until <paramref name="expected"/> buffers arrived or <paramref name="patience"/> passed; the caller owns them.
    public static List<PacketBuffer> ReceiveBuffers(IPacketPort port, int expected, TimeSpan? patience = null, int queue = 0)
    {
        var received = new List<PacketBuffer>();
        var burst = new PacketBuffer[PacketBatch.MaximumSize];
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(2));
        while (received.Count < expected && DateTime.UtcNow < deadline)
        {
            int count = port.RxBurst(queue, burst);
            for (int i = 0; i < count; i++) received.Add(burst[i]);
            if (count == 0) Thread.Yield();
        }
        return received;
    }

    /// Receives like <see cref="ReceiveBuffers"/>, copies the frames out and releases the buffers.
    public static List<byte[]> Receive(IPacketPort port, int expected, TimeSpan? patience = null, int queue = 0)
    {
        var buffers = ReceiveBuffers(port, expected, patience, queue);
        var frames = buffers.Select(b => b.Data.ToArray()).ToList();
        foreach (var buffer in buffers) buffer.Release();
        return frames;
    }
}
