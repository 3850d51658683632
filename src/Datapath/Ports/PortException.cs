namespace NetFabric.Datapath.Ports;

/// <summary>
/// A port could not be opened: the interface does not exist, the process lacks the privilege, or the platform
/// has no such device. Thrown only by constructors (a running port counts failures, it never throws for
/// traffic). The message names the interface, the operating system's error number and text, and what to do.
/// </summary>
public sealed class PortException : IOException
{
    /// <summary>Creates the exception for <paramref name="interfaceName"/> with the OS error that caused it (0 when none).</summary>
    public PortException(string message, string interfaceName, int nativeErrorCode = 0, Exception? innerException = null)
        : base(message, innerException)
    {
        InterfaceName = interfaceName;
        NativeErrorCode = nativeErrorCode;
    }

    /// <summary>The interface (or file, or device) the port was to be opened on.</summary>
    public string InterfaceName { get; }

    /// <summary>The operating system's error number (errno on Linux), or 0 when the failure was not a system call's.</summary>
    public int NativeErrorCode { get; }
}
