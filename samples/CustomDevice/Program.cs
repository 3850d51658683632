using NetFabric.Samples.CustomDevice;

// A custom virtual device (a port mirror) taking part in simulation like the built-in bridge and router.
var result = MirrorDemo.Run();
Console.WriteLine($"out received {result.ReceivedOut}, mirror received {result.ReceivedMirror}, in received {result.ReceivedIn}, upcalls {result.Upcalls}");
Console.WriteLine(result.Trace);
