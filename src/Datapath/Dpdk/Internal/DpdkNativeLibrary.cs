using System.Reflection;
using System.Runtime.InteropServices;

namespace NetFabric.Datapath.Dpdk.Internal;

/// Finds, loads and checks libnetfabric_dpdk.so, once per process, and answers the runtime's question "where is
/// netfabric_dpdk?" for <see cref="DpdkNative"/>'s stubs (a DllImport resolver on this assembly). Nothing here runs
/// until DPDK code is first used, so a machine without DPDK only notices when it asks for a DPDK port.
/// Search order: the configured folder (<see cref="DpdkRuntimeOptions.NativeLibraryFolder"/>), the folder in
/// NETFABRIC_DPDK_NATIVE, then — unless <see cref="DpdkRuntimeOptions.SearchDefaultLocations"/> is off — the
/// application's folder, this assembly's folder, their runtimes/linux-{arch}/native/ (where a NuGet package puts
/// it) and finally the system's library path (LD_LIBRARY_PATH, ld.so.cache).
internal static unsafe class DpdkNativeLibrary
{
    public const string FileName = "libnetfabric_dpdk.so";
    public const string FolderVariable = "NETFABRIC_DPDK_NATIVE";

    private static readonly object Gate = new();
    private static nint s_handle;
    private static NativeAbi s_abi;
    private static string? s_path;
    private static int s_resolverInstalled;

    /// The shim's ABI description (valid once loaded).
    public static NativeAbi Abi => s_abi;

    /// Where the shim was loaded from (null until loaded; "libnetfabric_dpdk.so" when found on the system path).
    public static string? LoadedFrom => s_path;

    /// Loads and checks the shim unless that already happened in this process (then the arguments are moot).
    /// Throws <see cref="DpdkUnavailableException"/> when it cannot be found, loaded or trusted.
    public static void EnsureLoaded(string? configuredFolder, bool searchDefaults)
    {
        if (Volatile.Read(ref s_handle) != 0) return;
        lock (Gate)
        {
            if (s_handle != 0) return;
            InstallResolver();
            var (handle, path) = Locate(configuredFolder, Environment.GetEnvironmentVariable(FolderVariable), searchDefaults);
            // The ABI is read through the export itself: the LibraryImport stubs must not bind to a shim that fails it.
            var abiGet = (delegate* unmanaged<NativeAbi*, int>)NativeLibrary.GetExport(handle, "nf_abi_get");
            NativeAbi abi;
            abiGet(&abi);
            var problems = DpdkAbi.Mismatches(abi);
            if (problems.Count > 0)
            {
                NativeLibrary.Free(handle);
                throw new DpdkUnavailableException(
                    $"DPDK is unavailable: the NetFabric DPDK shim {path} does not match these bindings ({string.Join("; ", problems)}). " +
                    $"Rebuild it from the same sources as this assembly, from the repository root: {DpdkUnavailableException.BuildCommand} " +
                    $"(needs Debian/Ubuntu: {DpdkUnavailableException.InstallCommand}).",
                    [$"{path}: loaded, ABI mismatch"]);
            }
            s_abi = abi;
            s_path = path;
            Volatile.Write(ref s_handle, handle);
        }
    }

    /// Looks for the shim where the arguments say and loads the first copy that loads. Pure apart from the load
    /// itself (no process-wide state), so tests can point it at an empty folder.
    public static (nint Handle, string Path) Locate(string? configuredFolder, string? environmentFolder, bool searchDefaults)
    {
        var searched = new List<string>();
        bool foundAny = false;
        foreach (string folder in Folders(configuredFolder, environmentFolder, searchDefaults))
        {
            string path = Path.Combine(folder, FileName);
            if (!File.Exists(path))
            {
                searched.Add($"{path} (not found)");
                continue;
            }
            foundAny = true;
            try
            {
                return (NativeLibrary.Load(path), path);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                searched.Add($"{path} (found, but loading failed: {LastLine(e.Message)})");
            }
        }
        if (searchDefaults)
        {
            try
            {
                return (NativeLibrary.Load(FileName), FileName);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                searched.Add($"the system library path (LD_LIBRARY_PATH, ld.so.cache: {LastLine(e.Message)})");
            }
        }
        string what = foundAny
            ? "was found but could not be loaded (are DPDK's own libraries, librte_*.so, installed?)"
            : "could not be found";
        throw new DpdkUnavailableException(
            $"DPDK is unavailable: the NetFabric DPDK shim {FileName} {what}. " +
            $"Install DPDK and the build tools (Debian/Ubuntu: {DpdkUnavailableException.InstallCommand}) and build the shim from the repository root with: " +
            $"{DpdkUnavailableException.BuildCommand} " +
            $"then put native/build/{FileName} next to the application, or point {FolderVariable} (or DpdkRuntimeOptions.NativeLibraryFolder) at native/build. " +
            $"(dotnet build does both when cmake and libdpdk are installed.) Looked in: {string.Join("; ", searched)}.",
            searched);
    }

    /// The folders searched, in order, without duplicates.
    public static List<string> Folders(string? configuredFolder, string? environmentFolder, bool searchDefaults)
    {
        var folders = new List<string>();
        void Add(string? folder)
        {
            if (string.IsNullOrWhiteSpace(folder)) return;
            string full = Path.GetFullPath(folder);
            if (!folders.Contains(full)) folders.Add(full);
        }
        Add(configuredFolder);
        Add(environmentFolder);
        if (searchDefaults)
        {
            string rid = $"linux-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
            string?[] roots = [AppContext.BaseDirectory, Path.GetDirectoryName(typeof(DpdkNativeLibrary).Assembly.Location)];
            foreach (string? root in roots) Add(root);
            foreach (string? root in roots)
                if (!string.IsNullOrEmpty(root)) Add(Path.Combine(root, "runtimes", rid, "native"));
        }
        return folders;
    }

    private static void InstallResolver()
    {
        if (Interlocked.Exchange(ref s_resolverInstalled, 1) != 0) return;
        NativeLibrary.SetDllImportResolver(typeof(DpdkNativeLibrary).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != DpdkNative.Library) return 0; // every other library: the runtime's default probing
        // Reached only if a stub runs before DpdkRuntime.Start loaded the shim: load it with the default search,
        // so the caller gets the same explanatory exception rather than a DllNotFoundException.
        EnsureLoaded(null, searchDefaults: true);
        return s_handle;
    }

    // dlerror's text is the last line of the runtime's message; the lines before it are generic advice.
    private static string LastLine(string message)
    {
        string[] lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? message : lines[^1];
    }
}
