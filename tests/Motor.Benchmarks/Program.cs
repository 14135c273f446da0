using BenchmarkDotNet.Running;
using Motor.Benchmarks;

// `latency ...`: Stopwatch-based per-query median/p99 (LatencyRunner); anything else goes to BenchmarkDotNet
// (e.g. --filter '*TopKSearch*' or --filter '*MemoryBandwidth*'); `hybrid-e2e ...`: the cold-start hybrid view through
// the HTTP API (HybridEndToEnd, driven by load/run-hybrid-e2e.sh); `synthetic-bundle ...`: an ID bundle of N random
// items (load/run-memory.sh); `content-ingestion ...`: raw text + image ingestion latency (load/run-content-ingestion.sh).
if (args.Length > 0 && args[0] == "latency")
{
    return LatencyRunner.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "synthetic-bundle")
{
    return SyntheticBundle.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "content-ingestion")
{
    return await ContentIngestion.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "hybrid-e2e")
{
    return await HybridEndToEnd.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Catalog).Assembly).Run(args);
return 0;
