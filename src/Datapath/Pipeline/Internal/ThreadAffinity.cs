using System.Runtime.InteropServices;

namespace NetFabric.Datapath.Pipeline.Internal;

/// Pins the calling thread to one CPU on Linux (sched_setaffinity on thread id 0 = the caller).
internal static partial class ThreadAffinity
{
    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sched_setaffinity(int pid, nuint cpusetsize, ulong* mask);

    /// Returns false (and leaves the thread unpinned) off Linux, beyond 64 CPUs, or when the kernel refuses.
    public static unsafe bool TryPinCurrentThread(int cpu)
    {
        if (!OperatingSystem.IsLinux() || cpu is < 0 or >= 64) return false;
        ulong mask = 1UL << cpu;
        try
        {
            return sched_setaffinity(0, sizeof(ulong), &mask) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }
}
