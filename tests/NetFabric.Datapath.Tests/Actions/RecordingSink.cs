using NetFabric.Datapath.Actions;
using NetFabric.Datapath.Buffers;
using NetFabric.Datapath.Flows;

namespace NetFabric.Datapath.Tests.Actions;

/// <summary>What left through one output: the port, a copy of the frame's bytes and the packet's tunnel metadata.</summary>
internal sealed record OutputRecord(uint Port, byte[] Frame, TunnelMetadata Tunnel);

/// <summary>
/// An <see cref="IActionSink"/> test double: records every hand-off (outputs with a copy of the bytes, resolver calls,
/// drops with their reason) and releases each buffer so the pool can be checked for leaks.
/// </summary>
internal sealed class RecordingSink : IActionSink
{
    public List<OutputRecord> Outputs { get; } = [];
    public List<(ResolverReason Reason, byte[] Frame)> Resolved { get; } = [];
    public List<DropReason> Drops { get; } = [];

    /// <summary>Every hand-off, in any form.</summary>
    public int Calls => Outputs.Count + Resolved.Count + Drops.Count;

    public void Output(uint port, PacketBuffer packet)
    {
        Assert.False(packet.IsNull, "An output was handed the null buffer.");
        Outputs.Add(new OutputRecord(port, packet.Data.ToArray(), packet.Tunnel));
        packet.Release();
    }

    public void ToResolver(PacketBuffer packet, ResolverReason reason)
    {
        Assert.False(packet.IsNull, "The resolver was handed the null buffer.");
        Resolved.Add((reason, packet.Data.ToArray()));
        packet.Release();
    }

    public void Drop(PacketBuffer packet, DropReason reason)
    {
        // Only a copy that could not be made is dropped as the null handle.
        Assert.True(!packet.IsNull || reason == DropReason.NoBuffer, $"A {reason} drop was handed the null buffer.");
        Drops.Add(reason);
        packet.Release();
    }
}

/// <summary>A sink that releases at once and records nothing: what the allocation test and benchmark-like loops need.</summary>
internal sealed class ReleasingSink : IActionSink
{
    public int Outputs;
    public int Others;

    public void Output(uint port, PacketBuffer packet)
    {
        Outputs++;
        packet.Release();
    }

    public void ToResolver(PacketBuffer packet, ResolverReason reason)
    {
        Others++;
        packet.Release();
    }

    public void Drop(PacketBuffer packet, DropReason reason)
    {
        Others++;
        packet.Release();
    }
}

/// <summary>Runs programs on real pool buffers.</summary>
internal static class ActionRunner
{
    /// <summary>Rents a buffer from <paramref name="pool"/> holding <paramref name="frame"/>.</summary>
    public static PacketBuffer Load(PacketPool pool, ReadOnlySpan<byte> frame, uint flowHash = 0)
    {
        Assert.True(pool.TryRent(out var packet), "The test pool is empty.");
        Assert.True(packet.TrySetLength(frame.Length));
        frame.CopyTo(packet.Data);
        packet.FlowHash = flowHash;
        return packet;
    }

    /// <summary>
    /// Executes <paramref name="program"/> on <paramref name="frame"/> in a fresh pool of <paramref name="poolSize"/>
    /// buffers and checks that the program handed the packet on exactly once and leaked no buffer.
    /// </summary>
    public static RecordingSink Run(ActionProgram program, ReadOnlySpan<byte> frame, int poolSize = 8, int headroom = PacketPool.DefaultHeadroom, uint flowHash = 0)
    {
        using var pool = new PacketPool(poolSize, headroom: headroom);
        var sink = new RecordingSink();
        program.Execute(Load(pool, frame, flowHash), sink);
        Assert.Equal(pool.Count, pool.Available);
        Assert.Equal(0, pool.DoubleReturns);
        // The original ends in exactly one of: the last output, the resolver, a drop other than NoBuffer.
        int finals = sink.Resolved.Count + sink.Drops.Count(reason => reason != DropReason.NoBuffer);
        Assert.True(finals <= 1, $"The packet was handed on {finals} times besides outputs.");
        return sink;
    }
}
