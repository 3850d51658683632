using NetFabric.Datapath.Buffers;

namespace NetFabric.Datapath.Pipeline.Internal;

/// A worker's bounded list of packets waiting for a pending resolution (e.g. an ARP reply).
internal sealed class ParkingQueue(int capacity)
{
    private readonly Entry[] _entries = new Entry[capacity];

    public int Count { get; private set; }

    /// The earliest retry time of any parked packet (long.MaxValue when empty).
    public long NextRetry { get; private set; } = long.MaxValue;

    public bool TryPark(PacketBuffer packet, long retryAt, long deadline)
    {
        if (Count == _entries.Length) return false;
        _entries[Count++] = new Entry(packet, retryAt, deadline);
        NextRetry = Math.Min(NextRetry, retryAt);
        return true;
    }

    /// Removes the packets due at <paramref name="now"/> into <paramref name="due"/> (with whether each is past its deadline).
    public void TakeDue(long now, List<(PacketBuffer Packet, bool Expired, long Deadline)> due)
    {
        long next = long.MaxValue;
        int kept = 0;
        for (int i = 0; i < Count; i++)
        {
            var entry = _entries[i];
            if (entry.RetryAt <= now || entry.Deadline <= now) due.Add((entry.Packet, entry.Deadline <= now, entry.Deadline));
            else
            {
                _entries[kept++] = entry;
                next = Math.Min(next, entry.RetryAt);
            }
        }
        Array.Clear(_entries, kept, Count - kept);
        Count = kept;
        NextRetry = next;
    }

    public void ReleaseAll()
    {
        for (int i = 0; i < Count; i++) _entries[i].Packet.Release();
        Array.Clear(_entries, 0, Count);
        Count = 0;
        NextRetry = long.MaxValue;
    }

    private readonly record struct Entry(PacketBuffer Packet, long RetryAt, long Deadline);
}
