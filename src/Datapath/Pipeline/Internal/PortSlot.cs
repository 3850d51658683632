using NetFabric.Datapath.Ports;

namespace NetFabric.Datapath.Pipeline.Internal;

/// A port attached to a pipeline, with one lock per transmit queue that more than one worker shares.
internal sealed class PortSlot(uint number, IPacketPort port, int workers)
{
    public uint Number { get; } = number;
    public IPacketPort Port { get; } = port;
    public int QueueCount { get; } = Math.Max(1, port.QueueCount);

    // Worker w transmits on queue w % QueueCount; a queue used by several workers needs a lock (ports'
    // TxBurst is single-caller per queue). Null entries mean the queue has a single user.
    public object?[] TransmitLocks { get; } = Enumerable.Range(0, Math.Max(1, port.QueueCount))
        .Select(q => Enumerable.Range(0, workers).Count(w => w % Math.Max(1, port.QueueCount) == q) > 1 ? new object() : null)
        .ToArray();
}
