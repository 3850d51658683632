namespace NetFabric.Datapath.Dpdk;

/// <summary>
/// A DPDK call failed while setting up: the environment (EAL) did not initialise, the packet mempool could not be
/// created. Thrown only by <see cref="DpdkRuntime.Start"/>; ports that cannot be opened raise
/// <see cref="Ports.PortException"/>, and running ports count failures instead of throwing. The message names the
/// call, DPDK's error number and text, and what to do.
/// </summary>
public sealed class DpdkException : Exception
{
    /// <summary>Creates the exception with DPDK's error number (rte_errno or a negative errno's magnitude).</summary>
    public DpdkException(string message, int errorCode, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>DPDK's error number (an errno value, or one of DPDK's own above 1000).</summary>
    public int ErrorCode { get; }
}
