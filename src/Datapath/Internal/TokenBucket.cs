using System.Diagnostics;

namespace NetFabric.Datapath.Internal;

/// A token bucket over Stopwatch timestamps, owned by one thread (no synchronisation): holds up to
/// <c>depth</c> tokens, refilled at <c>rate</c> per second. Used for upcall rate limits and paced capture replay.
internal struct TokenBucket
{
    private readonly double _tokensPerTick;
    private readonly double _depth;
    private double _tokens;
    private long _last;

    public TokenBucket(double tokensPerSecond, double depth, long now)
    {
        _tokensPerTick = tokensPerSecond / Stopwatch.Frequency;
        _depth = depth;
        _tokens = depth;
        _last = now;
    }

    /// True for a bucket made with the constructor (a default one has no rate).
    public readonly bool IsConfigured => _depth > 0;

    /// How many of <paramref name="wanted"/> tokens are available at <paramref name="now"/>; take them with <see cref="Take"/>.
    public int Available(int wanted, long now)
    {
        Refill(now);
        return (int)Math.Min(wanted, Math.Floor(_tokens));
    }

    public void Take(int count) => _tokens -= count;

    /// Takes one token if there is one.
    public bool TryTake(long now)
    {
        Refill(now);
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }

    private void Refill(long now)
    {
        if (now <= _last) return;
        _tokens = Math.Min(_depth, _tokens + (now - _last) * _tokensPerTick);
        _last = now;
    }
}
