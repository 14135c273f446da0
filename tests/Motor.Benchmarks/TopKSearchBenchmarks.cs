using BenchmarkDotNet.Attributes;
using Motor.Core.Search;

namespace Motor.Benchmarks;

/// <summary>
/// One top-20 query, single thread, over each catalog: the straightforward implementation (baseline), the exact float32
/// index, its reduced-precision variants, the index scoring into a full score array + <see cref="TopKSelector"/> (what the
/// fused threshold filter saves), and the batched path (256 users per call, reported per user).
/// </summary>
[Config(typeof(SearchBenchmarkConfig))]
public class TopKSearchBenchmarks
{
    private const int K = 20;
    private const int BatchSize = 256;

    private readonly ScoredItem[] _results = new ScoredItem[K];
    private readonly ScoredItem[] _batchResults = new ScoredItem[BatchSize * K];
    private readonly int[] _batchCounts = new int[BatchSize];
    private Catalog _catalog = null!;
    private StraightforwardTopK _straightforward = null!;
    private ExactVectorIndex _float32 = null!;
    private ExactVectorIndex _float16 = null!;
    private ExactVectorIndex _int8 = null!;
    private float[] _allScores = [];
    private int _next;

    [Params(CatalogSize.Tiktok6710, CatalogSize.Synthetic100k, CatalogSize.Synthetic1M)]
    public CatalogSize Catalog { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _catalog = Motor.Benchmarks.Catalog.Create(Catalog, BatchSize);
        _straightforward = new StraightforwardTopK(_catalog.Items, Motor.Benchmarks.Catalog.Dimension);
        _float32 = _catalog.BuildIndex(VectorPrecision.Float32);
        _float16 = _catalog.BuildIndex(VectorPrecision.Float16);
        _int8 = _catalog.BuildIndex(VectorPrecision.Int8);
        _allScores = new float[_catalog.ItemCount];
    }

    [Benchmark(Baseline = true, Description = "Straightforward (scalar loop + full sort)")]
    public int Straightforward() => _straightforward.Search(NextQuery(), K, _results);

    [Benchmark(Description = "Exact float32")]
    public int ExactFloat32() => _float32.Search(NextQuery(), K, _results);

    [Benchmark(Description = "Float16 storage")]
    public int Float16() => _float16.Search(NextQuery(), K, _results);

    [Benchmark(Description = "Int8 storage")]
    public int Int8() => _int8.Search(NextQuery(), K, _results);

    [Benchmark(Description = "Float32 kernel, full score array + TopKSelector")]
    public unsafe int ScoreAllThenSelect()
    {
        fixed (float* items = _catalog.Items)
        fixed (float* query = NextQuery())
        fixed (float* scores = _allScores)
        {
            ScoringKernels.ScoreRows(items, _catalog.ItemCount, Motor.Benchmarks.Catalog.Dimension, query, scores);
        }

        return TopKSelector.Select(_allScores, K, _results);
    }

    [Benchmark(OperationsPerInvoke = BatchSize, Description = "Float32 batch of 256 users, per user")]
    public int BatchPerUser()
    {
        _float32.SearchBatch(_catalog.Queries, K, _batchResults, _batchCounts);
        return _batchCounts[0];
    }

    private ReadOnlySpan<float> NextQuery() => _catalog.Query(_next++);
}
