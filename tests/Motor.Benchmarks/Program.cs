using BenchmarkDotNet.Running;
using Motor.Benchmarks;

// `latency ...`: Stopwatch-based per-query median/p99 (LatencyRunner); anything else goes to BenchmarkDotNet
// (e.g. --filter '*TopKSearch*' or --filter '*MemoryBandwidth*').
if (args.Length > 0 && args[0] == "latency")
{
    return LatencyRunner.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Catalog).Assembly).Run(args);
return 0;
