using System.Runtime.CompilerServices;

namespace NetFabric.Datapath.Dpdk.Internal;

/// Registers the threads that call DPDK (rte_thread_register), once each, lazily on their first burst.
/// A registered thread gets an lcore id of its own, and with it its own slice of every mempool's per-lcore cache:
/// its mbuf allocations and frees mostly stay in that cache instead of hitting the mempool's shared ring. A thread
/// that cannot be registered (more threads than RTE_MAX_LCORE ids) still works — DPDK then bypasses the cache for
/// it, which is correct and only slower — and is counted. The shim unregisters a thread when it exits, so ids are
/// not used up by pipelines that start and stop.
internal static class DpdkThread
{
    // 0: not tried yet; lcore + 1 once registered; -1 when registration failed.
    [ThreadStatic] private static int t_state;

    /// The calling thread's lcore id, or -1 when it is not registered (yet).
    public static int Lcore => t_state > 0 ? t_state - 1 : -1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EnsureRegistered(DpdkRuntime runtime)
    {
        if (t_state == 0) Register(runtime);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Register(DpdkRuntime runtime)
    {
        int lcore = DpdkNative.ThreadRegister();
        if (lcore >= 0)
        {
            t_state = lcore + 1;
            runtime.CountRegisteredThread(failed: false);
        }
        else
        {
            t_state = -1;
            runtime.CountRegisteredThread(failed: true);
        }
    }
}
