using System.Globalization;
using NetFabric.Datapath.Dpdk;

namespace NetFabric.Samples.VSwitchHost.Run;

/// <summary>
/// Turns <c>--dpdk-args "…"</c> (EAL arguments as DPDK applications take them) and the PCI devices named by
/// <c>--port NAME=dpdk:…</c> into <see cref="DpdkRuntimeOptions"/>. The EAL options the runtime sets itself (cores,
/// memory, hugepages, file prefix, devices) are mapped onto their option so they are never passed twice; anything
/// else is handed to the EAL as it is.
/// </summary>
public static class DpdkArguments
{
    /// <summary>
    /// Parses <paramref name="text"/> (whitespace-separated, as a shell would split it without quotes); returns null
    /// and an error naming the argument when a value is missing or not a number.
    /// </summary>
    public static DpdkRuntimeOptions? Parse(string? text, IEnumerable<string> pciDevices, out string? error)
    {
        error = null;
        string[] tokens = (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var options = new DpdkRuntimeOptions();
        var vdevs = new List<string>();
        var pci = new List<string>(pciDevices);
        var extra = new List<string>();
        for (int i = 0; i < tokens.Length; i++)
        {
            string token = tokens[i];
            // "--opt=value" and "--opt value" both work, as with DPDK's own parser.
            string name = token, value = "";
            bool inline = token.StartsWith("--", StringComparison.Ordinal) && token.Contains('=');
            if (inline) (name, value) = (token[..token.IndexOf('=')], token[(token.IndexOf('=') + 1)..]);
            bool TakeValue(out string taken)
            {
                if (inline) taken = value;
                else if (i + 1 < tokens.Length) taken = tokens[++i];
                else taken = "";
                return taken.Length > 0;
            }
            switch (name)
            {
                case "--no-huge":
                    options = options with { NoHugePages = true };
                    break;
                case "-m":
                    if (!TakeValue(out string megabytes) || !int.TryParse(megabytes, NumberStyles.None, CultureInfo.InvariantCulture, out int m) || m <= 0)
                        return Fail(out error, $"--dpdk-args: '{name}' needs a memory size in MiB.");
                    options = options with { MemoryMegabytes = m };
                    break;
                case "-l":
                    if (!TakeValue(out string cores)) return Fail(out error, "--dpdk-args: '-l' needs a core list.");
                    options = options with { Cores = cores };
                    break;
                case "--file-prefix":
                    if (!TakeValue(out string prefix)) return Fail(out error, "--dpdk-args: '--file-prefix' needs a name.");
                    options = options with { FilePrefix = prefix };
                    break;
                case "--vdev":
                    if (!TakeValue(out string vdev)) return Fail(out error, "--dpdk-args: '--vdev' needs a device.");
                    vdevs.Add(vdev);
                    break;
                case "-a":
                case "--allow":
                    if (!TakeValue(out string device)) return Fail(out error, $"--dpdk-args: '{name}' needs a PCI address.");
                    pci.Add(device);
                    break;
                default:
                    extra.Add(token);
                    break;
            }
        }
        return options with { VirtualDevices = vdevs, PciDevices = [.. pci.Distinct()], ExtraArguments = extra };
    }

    /// <summary>True when <paramref name="device"/> (the part after <c>dpdk:</c>) names a PCI device rather than a virtual one.</summary>
    public static bool IsPciAddress(string device) =>
        device.Split(',')[0] is var name && name.Count(c => c == ':') >= 1 && name.Contains('.') && !name.StartsWith("net_", StringComparison.Ordinal);

    private static DpdkRuntimeOptions? Fail(out string? error, string message)
    {
        error = message;
        return null;
    }
}
