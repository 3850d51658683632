namespace NetFabric.Simulation.Tests.Engine;

using NetFabric.Simulation.Topology;

/// The check the cache-transparency properties share: the same steps go through a network that caches its
/// decisions as flows and one that simulates every packet from scratch; after each packet, every VM must have
/// received the same frames, byte for byte and in order, from both.
internal static class CacheTransparency
{
    /// <param name="topology">The starting topology.</param>
    /// <param name="steps">The scenario.</param>
    /// <param name="reconfigure">For a configuration step, the topology it leads to (both networks are updated); null
    /// for a step that sends a frame.</param>
    /// <param name="packet">For a sending step, the exterior interface and the frame.</param>
    public static void Check<TStep>(TopologySnapshot topology, IEnumerable<TStep> steps,
        Func<TopologySnapshot, TStep, TopologySnapshot?> reconfigure, Func<TStep, (string Interface, byte[] Frame)> packet)
    {
        using var cached = new VirtualNetwork(topology, cache: true);
        using var fresh = new VirtualNetwork(topology, cache: false);
        foreach (var step in steps)
        {
            if (reconfigure(topology, step) is { } changed)
            {
                topology = changed;
                cached.Engine.Update(topology);
                fresh.Engine.Update(topology);
                continue;
            }
            var (from, frame) = packet(step);
            cached.Send(from, frame);
            fresh.Send(from, frame);
            foreach (string vm in cached.Vms)
            {
                var expected = fresh.Receive(vm);
                var actual = cached.Receive(vm);
                Assert.True(expected.Count == actual.Count && expected.Zip(actual).All(p => p.First.AsSpan().SequenceEqual(p.Second)),
                    $"{vm} after {step}: expected {expected.Count} frames ({string.Join(" | ", expected.Select(Convert.ToHexString))}), " +
                    $"got {actual.Count} ({string.Join(" | ", actual.Select(Convert.ToHexString))})");
            }
        }
    }
}
