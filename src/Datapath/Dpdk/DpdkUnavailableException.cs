namespace NetFabric.Datapath.Dpdk;

/// <summary>
/// DPDK cannot be used in this process: the NetFabric shim (libnetfabric_dpdk.so) was not found, could not be
/// loaded (typically because DPDK's own libraries are not installed), or was built for other bindings (its ABI
/// description does not match). Raised by the first use of DPDK code — <see cref="DpdkRuntime.Start"/> — and never
/// when the assembly or unrelated code loads.
/// </summary>
/// <remarks>
/// The message reads:
/// <code>
/// DPDK is unavailable: the NetFabric DPDK shim libnetfabric_dpdk.so {could not be found | was found but could not
/// be loaded | does not match these bindings}. Install DPDK and the build tools (Debian/Ubuntu: apt-get install -y
/// dpdk libdpdk-dev cmake pkg-config) and build the shim from the repository root with:
/// cmake -S native -B native/build &amp;&amp; cmake --build native/build
/// then put native/build/libnetfabric_dpdk.so next to the application, or point NETFABRIC_DPDK_NATIVE (or
/// DpdkRuntimeOptions.NativeLibraryFolder) at native/build. (dotnet build does both when cmake and libdpdk are
/// installed.) Looked in: {each place, and what happened there}.
/// </code>
/// For an ABI mismatch the last sentence lists the differing fields instead, and the advice is to rebuild the shim
/// from the same sources as the bindings.
/// </remarks>
public sealed class DpdkUnavailableException : Exception
{
    /// <summary>The Debian/Ubuntu command that installs what the shim needs to build and run.</summary>
    public const string InstallCommand = "apt-get install -y dpdk libdpdk-dev cmake pkg-config";

    /// <summary>The command, run from the repository root, that builds the shim into native/build.</summary>
    public const string BuildCommand = "cmake -S native -B native/build && cmake --build native/build";

    /// <summary>Creates the exception with the full message (see the remarks for its shape).</summary>
    public DpdkUnavailableException(string message, IReadOnlyList<string> searched, Exception? innerException = null)
        : base(message, innerException)
    {
        Searched = searched;
    }

    /// <summary>The places searched for the shim, in order, each with what was found there.</summary>
    public IReadOnlyList<string> Searched { get; }
}
