using System.Reflection;
using System.Runtime.Loader;
using NetFabric.Datapath.Dpdk;
using NetFabric.Datapath.Dpdk.Internal;

namespace NetFabric.Datapath.Tests.Dpdk;

/// What a machine without the shim sees: one exception, at first use, that says what to install and how to build.
public class DpdkNativeLibraryTests
{
    [Fact]
    public void With_the_shim_hidden_the_error_says_what_to_install_how_to_build_and_where_it_looked()
    {
        string empty = Directory.CreateTempSubdirectory("netfabric-noshim-").FullName;
        try
        {
            var error = Assert.Throws<DpdkUnavailableException>(() => DpdkNativeLibrary.Locate(empty, environmentFolder: null, searchDefaults: false));

            string expectedStart =
                "DPDK is unavailable: the NetFabric DPDK shim libnetfabric_dpdk.so could not be found. " +
                "Install DPDK and the build tools (Debian/Ubuntu: apt-get install -y dpdk libdpdk-dev cmake pkg-config) and build the shim from the repository root with: " +
                "cmake -S native -B native/build && cmake --build native/build " +
                "then put native/build/libnetfabric_dpdk.so next to the application, or point NETFABRIC_DPDK_NATIVE (or DpdkRuntimeOptions.NativeLibraryFolder) at native/build. " +
                "(dotnet build does both when cmake and libdpdk are installed.) Looked in: ";
            Assert.StartsWith(expectedStart, error.Message, StringComparison.Ordinal);
            string where = Path.Combine(empty, "libnetfabric_dpdk.so");
            Assert.EndsWith($"Looked in: {where} (not found).", error.Message, StringComparison.Ordinal);
            Assert.Equal([$"{where} (not found)"], error.Searched);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public void A_shim_that_cannot_be_loaded_is_reported_with_the_loaders_reason()
    {
        string folder = Directory.CreateTempSubdirectory("netfabric-badshim-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "libnetfabric_dpdk.so"), "not an ELF file");

            var error = Assert.Throws<DpdkUnavailableException>(() => DpdkNativeLibrary.Locate(folder, environmentFolder: null, searchDefaults: false));

            Assert.Contains("was found but could not be loaded", error.Message, StringComparison.Ordinal);
            Assert.Contains(DpdkUnavailableException.InstallCommand, error.Message, StringComparison.Ordinal);
            Assert.Contains("(found, but loading failed: ", Assert.Single(error.Searched), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_configured_folder_comes_first_then_the_environments_then_the_applications()
    {
        var folders = DpdkNativeLibrary.Folders("/opt/a", "/opt/b", searchDefaults: true);

        Assert.Equal(["/opt/a", "/opt/b"], folders.Take(2));
        Assert.Contains(Path.GetFullPath(AppContext.BaseDirectory), folders);
        Assert.Contains(folders, f => f.EndsWith(Path.Combine("runtimes", "linux-x64", "native"), StringComparison.Ordinal) || f.Contains("runtimes/linux-", StringComparison.Ordinal));
        Assert.Equal(["/opt/a"], DpdkNativeLibrary.Folders("/opt/a", null, searchDefaults: false));
    }

    /// End to end through the public API, in a fresh copy of the assembly (its own load context), so the shim this
    /// process may already have loaded does not count: starting DPDK with the shim out of reach throws the
    /// documented exception, and only then — loading the assembly and using its other types does not.
    [Fact]
    public void Starting_dpdk_without_the_shim_throws_the_documented_exception_and_nothing_earlier_does()
    {
        string empty = Directory.CreateTempSubdirectory("netfabric-noshim-").FullName;
        var context = new AssemblyLoadContext("netfabric-without-dpdk", isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(typeof(DpdkRuntime).Assembly.Location);
            // Unrelated code of the same assembly works.
            var poolType = assembly.GetType("NetFabric.Datapath.Buffers.PacketPool", throwOnError: true)!;
            using (var pool = (IDisposable)Activator.CreateInstance(poolType, 4, 2048, 128)!) { }

            var optionsType = assembly.GetType("NetFabric.Datapath.Dpdk.DpdkRuntimeOptions", throwOnError: true)!;
            var options = Activator.CreateInstance(optionsType)!;
            optionsType.GetProperty("NativeLibraryFolder")!.SetValue(options, empty);
            optionsType.GetProperty("SearchDefaultLocations")!.SetValue(options, false);
            var start = assembly.GetType("NetFabric.Datapath.Dpdk.DpdkRuntime", throwOnError: true)!.GetMethod("Start")!;

            var thrown = Assert.Throws<TargetInvocationException>(() => start.Invoke(null, [options])).InnerException;

            Assert.NotNull(thrown);
            Assert.Equal(typeof(DpdkUnavailableException).FullName, thrown.GetType().FullName);
            Assert.StartsWith("DPDK is unavailable: the NetFabric DPDK shim libnetfabric_dpdk.so could not be found.", thrown.Message, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(empty, "libnetfabric_dpdk.so"), thrown.Message, StringComparison.Ordinal);
        }
        finally
        {
            context.Unload();
            Directory.Delete(empty, recursive: true);
        }
    }
}
