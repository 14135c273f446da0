using BenchmarkDotNet.Attributes;

namespace Motor.Benchmarks;

/// <summary>Streaming-read bandwidth of one thread: the bound for a memory-bound exact top-k (bytes of the catalog / bandwidth).</summary>
[Config(typeof(SearchBenchmarkConfig))]
public class MemoryBandwidthBenchmarks
{
    private float[] _data = [];

    [GlobalSetup]
    public void Setup() => _data = MemoryBandwidth.Allocate(MemoryBandwidth.DefaultBytes);

    [Benchmark(Description = "SIMD sum of 1 GiB (single thread)")]
    public float SumOneGibibyte() => MemoryBandwidth.Sum(_data);
}
