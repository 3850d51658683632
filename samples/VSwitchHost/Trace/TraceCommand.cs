using System.Globalization;
using NetFabric.Datapath.Capture;
using NetFabric.Simulation.Engine;
using NetFabric.Simulation.Topology;

namespace NetFabric.Samples.VSwitchHost.Trace;

/// <summary>
/// <c>trace --topology FILE --in-port PORT (--frame HEX | --pcap FILE)</c>: simulates one frame through a
/// topology file and prints the decision hop by hop, like <c>ovs-appctl ofproto/trace</c>. Exterior ports are
/// numbered 1, 2, … in the order of their host interface names; PORT is an interface name or "device/port".
/// Exit code 0 on success, 2 on bad input (one line on stderr naming what is wrong).
/// </summary>
public static class TraceCommand
{
    /// <summary>Exit code for unreadable input.</summary>
    public const int BadInput = 2;

    /// <summary>Runs the command.</summary>
    public static int Run(string topologyPath, string inPort, string? frameHex, string? pcapPath, TextWriter output, TextWriter error)
    {
        try
        {
            var topology = TopologyFile.Load(topologyPath);
            var interfaces = topology.Ports.Values
                .Where(p => p.Kind == PortKind.Exterior && p.HostInterface is not null)
                .Select(p => p.HostInterface!).Distinct().Order(StringComparer.Ordinal)
                .Select((name, index) => (name, number: (uint)index + 1))
                .ToDictionary(x => x.name, x => x.number);
            string interfaceName = inPort.Contains('/') && topology.TryGetPort(inPort, out var port) && port.HostInterface is not null
                ? port.HostInterface
                : inPort;
            if (!interfaces.TryGetValue(interfaceName, out uint number))
                return Fail(error, $"'{inPort}' is not an exterior port of the topology (known: {string.Join(", ", interfaces.Keys)}).");

            byte[] frame;
            if (frameHex is not null)
            {
                try
                {
                    frame = Convert.FromHexString(frameHex.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal));
                }
                catch (FormatException)
                {
                    return Fail(error, "--frame must be hexadecimal bytes (e.g. ffffffffffff0200...).");
                }
            }
            else if (pcapPath is not null)
            {
                using var reader = CaptureReader.Open(pcapPath);
                var buffer = new byte[65536];
                if (!reader.TryRead(buffer, out var record)) return Fail(error, $"'{pcapPath}' holds no frame.");
                frame = buffer[..record.CapturedLength];
            }
            else
            {
                return Fail(error, "give the frame with --frame HEX or --pcap FILE.");
            }

            using var engine = new DecisionEngine(topology, interfaces);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Topology {topologyPath} version {topology.Version}; in-port {number} = {interfaceName}"));
            output.WriteLine(engine.Trace(number, frame));
            return 0;
        }
        catch (Exception e) when (e is TopologyFileException or TopologyValidationException or IOException)
        {
            return Fail(error, e.Message.ReplaceLineEndings(" "));
        }
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"trace: {message}");
        return BadInput;
    }
}
