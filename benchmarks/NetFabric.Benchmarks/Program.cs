using BenchmarkDotNet.Running;
using NetFabric.Benchmarks.Dpdk;
using NetFabric.Benchmarks.Throughput;

// Per-operation suites (BenchmarkDotNet):
//   dotnet run -c Release --project benchmarks/NetFabric.Benchmarks -- --filter '*'
// The throughput harness (Mpps through a running pipeline, flow installs per second):
//   dotnet run -c Release --project benchmarks/NetFabric.Benchmarks -- throughput [--seconds N]
// Forwarding between two DPDK virtual ports, to compare with dpdk-testpmd (root; benchmarks/dpdk/side-by-side.sh):
//   dotnet run -c Release --project benchmarks/NetFabric.Benchmarks -- dpdk [--vdev-pair null|ring] [--mode io|output|routed] [--flows N] [--emc on|off]
// See benchmarks/README.md for recorded figures.
if (args.Length > 0 && args[0] == "throughput") return ThroughputHarness.Run(args[1..]);
if (args.Length > 0 && args[0] == "dpdk") return DpdkHarness.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
