using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using NetFabric.Testing;

namespace NetFabric.Datapath.Tests.Dpdk;

/// The NuGet package of NetFabric.Datapath carries the DPDK shim where the runtime looks for native assets.
public class DpdkPackageTests
{
    [Fact]
    public async Task Pack_puts_the_shim_under_runtimes_native()
    {
        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "libnetfabric_dpdk.so")))
            Assert.Skip("The DPDK shim was not built here (install dpdk libdpdk-dev cmake pkg-config and rebuild).");
        string work = Path.Combine(Path.GetTempPath(), $"netfabric-pack-{Guid.NewGuid():N}");
        try
        {
            // Its own artifacts folder: the pack builds the project again without touching the tests' build.
            string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
            var start = new ProcessStartInfo(dotnet, ["pack", RepositoryPaths.File("src", "Datapath", "NetFabric.Datapath.csproj"), "-c", "Release",
                "-o", Path.Combine(work, "out"), $"-p:ArtifactsPath={Path.Combine(work, "artifacts")}", "-nologo", "-v", "quiet"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var pack = Process.Start(start)!;
            var output = pack.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var error = pack.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            limit.CancelAfter(TimeSpan.FromMinutes(5));
            await pack.WaitForExitAsync(limit.Token);
            Assert.True(pack.ExitCode == 0, $"dotnet pack failed: {await output}\n{await error}");

            string package = Assert.Single(Directory.GetFiles(Path.Combine(work, "out"), "NetFabric.Datapath.*.nupkg"));
            using var zip = ZipFile.OpenRead(package);
            string runtime = $"linux-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
            var shim = Assert.Single(zip.Entries, e => e.FullName == $"runtimes/{runtime}/native/libnetfabric_dpdk.so");
            Assert.True(shim.Length > 10_000, $"the packed shim is only {shim.Length} bytes");
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }
}
