using BenchmarkDotNet.Running;

// Run all: dotnet run -c Release --project benchmarks/NetFabric.Benchmarks -- --filter '*'
// Pick one: --filter '*FlowKeyExtraction*'. See benchmarks/README.md for recorded figures.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
