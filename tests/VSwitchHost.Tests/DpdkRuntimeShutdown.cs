using NetFabric.Datapath.Dpdk;

[assembly: AssemblyFixture(typeof(NetFabric.Samples.VSwitchHost.Tests.DpdkRuntimeShutdown))]

namespace NetFabric.Samples.VSwitchHost.Tests;

/// <summary>
/// The run command leaves the process's DPDK environment up for the next run in the same process (DPDK starts once
/// per process); once every test has run, this shuts it down, so the test process releases its memory and leaves
/// no runtime directory behind.
/// </summary>
public sealed class DpdkRuntimeShutdown : IDisposable
{
    public void Dispose() => DpdkRuntime.Current?.Dispose();
}
