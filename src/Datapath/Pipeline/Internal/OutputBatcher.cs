using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;

namespace NetFabric.Datapath.Pipeline.Internal;

/// A worker's action sink: stages output packets per port so each port gets one TxBurst per batch
/// (VPP's per-next-node frames, OVS's per-port output batches), and collects packets for the resolver and drops.
internal sealed class OutputBatcher : IActionSink
{
    private const int StageSize = 64;

    private readonly int _worker;
    private readonly WorkerCounters _counters;
    private PortSlot?[] _ports = [];
    private PacketBuffer[][] _staged = [];
    private int[] _stagedCount = [];
    private readonly List<uint> _touched = new(16);
    private readonly List<(PacketBuffer Packet, ResolverReason Reason)> _resolverQueue = new(64);

    public OutputBatcher(int worker, WorkerCounters counters)
    {
        _worker = worker;
        _counters = counters;
    }

    /// Packets actions sent to the resolver during the last batch; the worker drains it.
    public List<(PacketBuffer Packet, ResolverReason Reason)> ResolverQueue => _resolverQueue;

    /// Called when the pipeline's port table changes (before start).
    public void SetPorts(PortSlot?[] ports)
    {
        _ports = ports;
        _staged = new PacketBuffer[ports.Length][];
        _stagedCount = new int[ports.Length];
        for (int i = 0; i < ports.Length; i++) _staged[i] = new PacketBuffer[StageSize];
    }

    public void Output(uint port, PacketBuffer packet)
    {
        if (port >= (uint)_ports.Length || _ports[port] is null)
        {
            Drop(packet, DropReason.NoSuchPort);
            return;
        }
        int count = _stagedCount[port];
        if (count == 0) _touched.Add(port);
        else if (count == StageSize) count = FlushPort(port);
        _staged[port][count] = packet;
        _stagedCount[port] = count + 1;
    }

    public void ToResolver(PacketBuffer packet, ResolverReason reason) => _resolverQueue.Add((packet, reason));

    public void Drop(PacketBuffer packet, DropReason reason)
    {
        if (reason == DropReason.Action) _counters.DroppedByAction++;
        else _counters.DroppedOther++;
        packet.Release();
    }

    /// Sends everything staged, one TxBurst per port.
    public void Flush()
    {
        foreach (uint port in _touched) FlushPort(port);
        _touched.Clear();
    }

    private int FlushPort(uint port)
    {
        int count = _stagedCount[port];
        if (count == 0) return 0;
        var slot = _ports[port]!;
        int queue = _worker % slot.QueueCount;
        var packets = _staged[port].AsSpan(0, count);
        var gate = slot.TransmitLocks[queue];
        if (gate is null)
        {
            slot.Port.TxBurst(queue, packets);
        }
        else
        {
            lock (gate) slot.Port.TxBurst(queue, packets);
        }
        packets.Clear();
        _stagedCount[port] = 0;
        return 0;
    }
}
