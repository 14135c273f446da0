using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Motor.Benchmarks;

/// <summary>
/// Short runs (the whole suite takes a few minutes on 2 cores), in process (no generated project to build), with median
/// and p95 next to the mean. Per-query p99 comes from the Stopwatch-based <c>latency</c> mode (LatencyRunner).
/// </summary>
public sealed class SearchBenchmarkConfig : ManualConfig
{
    public SearchBenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithIterationCount(5));
        AddColumn(StatisticColumn.Median, StatisticColumn.P95);
    }
}
