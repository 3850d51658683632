using System.CommandLine;
using NetFabric.Samples.VSwitchHost.Inspect;

// The sample vSwitch host. Today it has one command, `inspect`; later issues add the switch itself.
var file = new Argument<string>("file") { Description = "A pcap or pcapng capture file." };
var inspect = new Command("inspect", "Print one line per frame (like tcpdump -e -n) and its NetFabric flow key.") { file };
inspect.SetAction(result => InspectCommand.Run(result.GetValue(file)!, Console.Out, Console.Error));

var root = new RootCommand("NetFabric sample vSwitch host.") { inspect };
return root.Parse(args).Invoke();
