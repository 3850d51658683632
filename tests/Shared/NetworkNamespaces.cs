using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace NetFabric.Testing;

/// <summary>
/// Real Linux network namespaces and veth pairs for tests that need a kernel on the other end of a wire. Every
/// name it hands out starts with "nf-" and a random hex token, so parallel tests and leftovers of crashed runs
/// never collide; everything it created (namespaces, root-namespace veths, started processes) is removed on
/// <see cref="Dispose"/>, whichever step failed. Needs root and iproute2 (<c>ip</c>); uses ethtool when present to
/// turn veth offloads off, and skips that step otherwise (tests then must not depend on checksums of
/// kernel-generated UDP/TCP, which veth may leave partial). Only 198.18.0.0/15 and 192.0.2.0/24 addresses are used.
/// </summary>
internal sealed partial class NetworkNamespaces : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly string _token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    private readonly List<string> _namespaces = [];
    private readonly List<string> _links = [];
    private readonly List<Process> _processes = [];
    private bool _disposed;

    /// A name unique to this fixture: "nf-" + 6 hex digits + "-" + <paramref name="suffix"/>, at most 15
    /// characters so it is also a valid interface name.
    public string Name(string suffix)
    {
        string name = $"nf-{_token}-{suffix}";
        if (name.Length > 15) throw new ArgumentException($"'{name}' is longer than an interface name may be (15).", nameof(suffix));
        return name;
    }

    /// Skips the calling test unless it runs on Linux as root with iproute2 installed.
    public static void SkipUnlessRoot()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Skip("Network namespaces exist only on Linux.");
        if (geteuid() != 0)
            Assert.Skip("Needs root (creates network namespaces and raw sockets); CI runs these tests as root.");
        if (FindOnPath("ip") is null)
            Assert.Skip("Needs iproute2 ('ip'); install it with 'apt-get install -y iproute2'.");
    }

    /// Creates network namespace <paramref name="ns"/> with its loopback up and IPv6 off (no router
    /// solicitations or DAD in captures). Idempotent for a namespace this fixture created.
    public void CreateNamespace(string ns)
    {
        if (_namespaces.Contains(ns)) return;
        Run("ip", "netns", "add", ns);
        _namespaces.Add(ns);
        Exec(ns, "ip", "link", "set", "lo", "up");
        // 'default' covers interfaces moved in later; 'all' the ones already there.
        DisableIpv6(ns, "default");
        DisableIpv6(ns, "all");
    }

    /// Creates a veth pair with both ends in the root namespace, up, IPv6 off and offloads off (when ethtool is there).
    public void CreateVethPair(string first, string second)
    {
        Run("ip", "link", "add", first, "type", "veth", "peer", "name", second);
        _links.Add(first);
        foreach (string end in new[] { first, second })
        {
            DisableIpv6(null, end);
            Run("ip", "link", "set", end, "up");
            DisableOffloads(null, end);
        }
        WaitUntilUp(null, first);
        WaitUntilUp(null, second);
    }

    /// <summary>
    /// Builds a host: namespace <paramref name="ns"/> (created if needed) joined by a veth pair whose
    /// <paramref name="vethHost"/> end stays in the root namespace (up, no address, IPv6 off) and whose
    /// <paramref name="vethNs"/> end moves into the namespace with <paramref name="address"/> (e.g. 198.18.0.1/24) and
    /// <paramref name="mac"/>, up.
    /// </summary>
    public void CreateHost(string ns, string vethHost, string vethNs, string address, string mac)
    {
        CreateNamespace(ns);
        Run("ip", "link", "add", vethHost, "type", "veth", "peer", "name", vethNs);
        _links.Add(vethHost);
        DisableIpv6(null, vethHost);
        Run("ip", "link", "set", vethNs, "netns", ns);
        Exec(ns, "ip", "link", "set", vethNs, "address", mac);
        Exec(ns, "ip", "address", "add", address, "dev", vethNs);
        Exec(ns, "ip", "link", "set", vethNs, "up");
        Run("ip", "link", "set", vethHost, "up");
        DisableOffloads(null, vethHost);
        DisableOffloads(ns, vethNs);
        WaitUntilUp(null, vethHost);
        WaitUntilUp(ns, vethNs);
    }

    /// <summary>
    /// Waits (at most 5 s) until <paramref name="link"/> is operationally up and has its real queueing discipline.
    /// The kernel's link watcher does both some time after 'ip link set up' (up to a second when link events are
    /// frequent); until then the device sits on the noop qdisc, which silently discards every transmitted frame.
    /// </summary>
    public void WaitUntilUp(string? ns, string link)
    {
        var clock = Stopwatch.StartNew();
        string shown = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            shown = (ns is null ? Run("ip", "-o", "link", "show", "dev", link) : Run("ip", "-n", ns, "-o", "link", "show", "dev", link)).StandardOutput;
            if (shown.Contains("state UP", StringComparison.Ordinal) && !shown.Contains("qdisc noop", StringComparison.Ordinal)) return;
            Thread.Sleep(20);
        }
        throw new InvalidOperationException($"'{link}' did not come up within 5 s: {shown.Trim()}");
    }

    /// Runs <paramref name="command"/> inside <paramref name="ns"/> (<c>ip netns exec</c>); throws when it fails or times out.
    public CommandResult Exec(string ns, params string[] command) => Run("ip", ["netns", "exec", ns, .. command]);

    /// Runs <paramref name="command"/> inside <paramref name="ns"/>; returns the result whatever the exit code.
    public CommandResult TryExec(string ns, params string[] command) => TryRun("ip", ["netns", "exec", ns, .. command]);

    /// Runs a program in the root namespace; throws when it fails or times out, with its output in the message.
    public static CommandResult Run(string program, params string[] arguments)
    {
        var result = TryRun(program, arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"'{result.CommandLine}' failed with exit code {result.ExitCode}: {result.StandardError.Trim()} {result.StandardOutput.Trim()}");
        return result;
    }

    /// Runs a program, waiting at most <paramref name="timeout"/> (10 s by default); a program still running then is
    /// killed (by its PID) and reported with exit code -1.
    public static CommandResult TryRun(string program, string[] arguments, TimeSpan? timeout = null)
    {
        using var process = new Process { StartInfo = StartInfo(program, arguments) };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string commandLine = $"{program} {string.Join(' ', arguments)}";
        if (!process.WaitForExit(timeout ?? DefaultTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (error) error.Append("(timed out)");
            return new CommandResult(commandLine, -1, output.ToString(), error.ToString());
        }
        process.WaitForExit(); // drains the asynchronous readers
        lock (output) lock (error) return new CommandResult(commandLine, process.ExitCode, output.ToString(), error.ToString());
    }

    /// Starts a long-running command inside <paramref name="ns"/> without waiting; it is killed (by PID) on dispose.
    public Process Start(string ns, params string[] command)
    {
        var process = new Process { StartInfo = StartInfo("ip", ["netns", "exec", ns, .. command]) };
        process.StartInfo.RedirectStandardOutput = false;
        process.StartInfo.RedirectStandardError = false;
        process.Start();
        _processes.Add(process);
        return process;
    }

    /// Sends <paramref name="count"/> UDP datagrams from namespace <paramref name="from"/> to a receiver bound to
    /// <paramref name="address"/>:<paramref name="port"/> in namespace <paramref name="to"/>, using the kernels'
    /// own sockets (python3); returns how many arrived intact (0 on any failure, with the reason in the assertion).
    public async Task<int> UdpTransferAsync(string from, string to, string address, int port, int count)
    {
        string receiver = $"import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('{address}',{port}))\ns.settimeout(5)\nn=0\ntry:\n  while n<{count}:\n    d,_=s.recvfrom(2048)\n    n+= d==b'netfabric'*100\nexcept socket.timeout: pass\nprint(n)\n";
        string sender = $"import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range({count}):\n  s.sendto(b'netfabric'*100,('{address}',{port}))\n  time.sleep(0.002)\n";
        return await TransferAsync(from, to, receiver, sender);
    }

    /// Sends <paramref name="bytes"/> bytes over one TCP connection from namespace <paramref name="from"/> to a
    /// server on <paramref name="address"/>:<paramref name="port"/> in namespace <paramref name="to"/>; returns the
    /// bytes the server received.
    public async Task<int> TcpTransferAsync(string from, string to, string address, int port, int bytes)
    {
        string server = $"import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('{address}',{port}))\ns.listen(1)\ns.settimeout(10)\nc,_=s.accept()\nc.settimeout(10)\nn=0\nwhile True:\n  d=c.recv(65536)\n  if not d: break\n  n+=len(d)\nprint(n)\n";
        string client = $"import socket\nc=socket.create_connection(('{address}',{port}),timeout=10)\nc.sendall(b'x'*{bytes})\nc.close()\n";
        return await TransferAsync(from, to, server, client);
    }

    private async Task<int> TransferAsync(string from, string to, string receiverScript, string senderScript)
    {
        var receiving = Task.Run(() => TryExec(to, "/usr/bin/python3", "-c", receiverScript));
        await Task.Delay(300); // let the receiver bind
        var sent = TryExec(from, "/usr/bin/python3", "-c", senderScript);
        Assert.True(sent.ExitCode == 0, $"sender failed: {sent.StandardError}");
        var received = await receiving;
        Assert.True(received.ExitCode == 0, $"receiver failed: {received.StandardError}");
        return int.Parse(received.StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// Deletes everything this fixture created, continuing past failures; idempotent.
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5_000);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited in the meantime.
            }
            process.Dispose();
        }
        // Deleting one end of a veth deletes the pair; deleting a namespace deletes the ends inside it (and so
        // their peers). Either may already be gone: failures here are expected and ignored.
        foreach (string link in _links)
            TryRun("ip", ["link", "delete", link]);
        foreach (string ns in _namespaces)
            TryRun("ip", ["netns", "delete", ns]);
    }

    private void DisableIpv6(string? ns, string scope)
    {
        string path = $"/proc/sys/net/ipv6/conf/{scope}/disable_ipv6";
        if (ns is null)
        {
            if (File.Exists(path)) File.WriteAllText(path, "1");
            return;
        }
        // /proc/sys/net shows the reading process's namespace, so the write happens inside it.
        TryExec(ns, "sh", "-c", $"[ -e {path} ] && echo 1 > {path} || true");
    }

    private void DisableOffloads(string? ns, string link)
    {
        // Without ethtool the step is skipped: veth then hands raw sockets segmentation-offload super-frames.
        if (FindOnPath("ethtool") is null) return;
        string[] command = ["ethtool", "-K", link, "rx", "off", "tx", "off", "tso", "off", "gso", "off", "gro", "off"];
        if (ns is null) TryRun(command[0], command[1..]);
        else TryExec(ns, command);
    }

    private static ProcessStartInfo StartInfo(string program, string[] arguments)
    {
        // /usr/sbin is not on every PATH (sudo keeps a minimal one, containers vary); ip lives there.
        var info = new ProcessStartInfo(FindOnPath(program) ?? program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        return info;
    }

    private static string? FindOnPath(string program)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            string candidate = Path.Combine(directory, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();
}

/// What a command printed and how it ended.
internal sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError);
