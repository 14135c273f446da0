using System.Diagnostics;
using System.Globalization;
using System.Text;
using Motor.Core.Search;

namespace Motor.Benchmarks;

/// <summary>
/// Per-query latency distribution (median, p99) of top-20 search, single thread, timed query by query with Stopwatch:
/// BenchmarkDotNet reports per-iteration statistics, which hide the tail of individual queries. Also measures the
/// streaming-read bandwidth and compares the 1M x 64 float32 query with its bound (catalog bytes / bandwidth).
/// Usage: latency [--catalogs tiktok,100k,1m] [--queries 1000] [--out file.md]
/// </summary>
public static class LatencyRunner
{
    private const int K = 20;
    private const int BatchSize = 256;
    private const int WarmupQueries = 50;
    private static readonly TimeSpan s_straightforwardBudget = TimeSpan.FromSeconds(6);

    public static int Run(string[] args)
    {
        var catalogs = new List<CatalogSize> { CatalogSize.Tiktok6710, CatalogSize.Synthetic100k, CatalogSize.Synthetic1M };
        int queries = 1000;
        string? outPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--catalogs":
                    catalogs = [.. value.Split(',').Select(ParseCatalog)];
                    i++;
                    break;
                case "--queries":
                    queries = int.Parse(value, CultureInfo.InvariantCulture);
                    i++;
                    break;
                case "--out":
                    outPath = value;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}; usage: latency [--catalogs tiktok,100k,1m] [--queries N] [--out file.md]");
                    return 2;
            }
        }

        var report = new StringBuilder();
        void Emit(string line)
        {
            Console.WriteLine(line);
            report.AppendLine(line);
        }

        Emit($"Machine: {Environment.ProcessorCount} cores, {CpuModel()}, .NET {Environment.Version}, AVX-512: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; load average at start: {LoadAverage()}");
        double bandwidth;
        {
            float[] data = MemoryBandwidth.Allocate(MemoryBandwidth.DefaultBytes);
            bandwidth = MemoryBandwidth.MeasureBytesPerSecond(data, 9, out double best, out float checksum);
            Emit($"Streaming-read bandwidth (SIMD sum of 1 GiB, single thread, 9 passes): median {bandwidth / 1e9:F2} GB/s, best {best / 1e9:F2} GB/s (checksum {checksum:E2})");
        }

        GC.Collect();
        Emit(string.Empty);
        Emit("| Catalog | Method | Queries timed | Min (µs) | Median (µs) | p99 (µs) | Thread CPU mean (µs) | Median speed-up vs straightforward | Recall@20 vs exact |");
        Emit("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (CatalogSize size in catalogs)
        {
            Catalog catalog = Catalog.Create(size, Math.Max(queries, BatchSize));
            var straightforward = new StraightforwardTopK(catalog.Items, Catalog.Dimension);
            var indexes = new[] { VectorPrecision.Float32, VectorPrecision.Float16, VectorPrecision.Int8 }
                .ToDictionary(p => p, catalog.BuildIndex);
            var results = new ScoredItem[K];

            Stats baseline = Time(queries, s_straightforwardBudget, q => straightforward.Search(catalog.Query(q), K, results));
            Emit(Row(size, "Straightforward (scalar loop + full sort)", baseline, baseline, null));

            Stats single = default;
            ScoredItem[][] exact = ExactResults(indexes[VectorPrecision.Float32], catalog, Math.Min(queries, 200));
            foreach ((VectorPrecision precision, ExactVectorIndex index) in indexes)
            {
                Stats stats = Time(queries, TimeSpan.MaxValue, q => index.Search(catalog.Query(q), K, results));
                double? recall = precision == VectorPrecision.Float32 ? null : Recall(index, catalog, exact);
                Emit(Row(size, $"Exact index, {precision} storage", stats, baseline, recall));
                if (precision == VectorPrecision.Float32)
                {
                    single = stats;
                }

                if (size == CatalogSize.Synthetic1M && precision == VectorPrecision.Float32)
                {
                    double bytes = (double)catalog.ItemCount * Catalog.Dimension * sizeof(float);
                    double boundMicroseconds = bytes / bandwidth * 1e6;
                    Emit($"|   | bandwidth bound: {bytes / 1e6:F0} MB / {bandwidth / 1e9:F2} GB/s = {boundMicroseconds:F0} µs; median / bound = **{stats.Median / boundMicroseconds:F2}x** (target <= 1.3x); min / bound = {stats.Min / boundMicroseconds:F2}x | | | | | | | |");
                }
            }

            var batchResults = new ScoredItem[BatchSize * K];
            var counts = new int[BatchSize];
            ExactVectorIndex float32 = indexes[VectorPrecision.Float32];
            ReadOnlySpan<float> batchQueries = catalog.Queries.AsSpan(0, BatchSize * Catalog.Dimension);
            float[] batchQueryArray = batchQueries.ToArray();
            int batches = size == CatalogSize.Synthetic1M ? 8 : 30;
            Stats batch = Time(batches, TimeSpan.MaxValue, _ => float32.SearchBatch(batchQueryArray, K, batchResults, counts), warmup: 2).PerOperation(BatchSize);
            Emit(Row(size, $"Float32 batch of {BatchSize} users ({batches} batches; p99 = slowest batch / {BatchSize}), per user", batch, baseline, null));
            Emit($"|   | batch per user vs one query at a time (float32): **{single.Median / batch.Median:F1}x** faster by median wall time, {single.CpuMean / batch.CpuMean:F1}x by CPU time | | | | | | | |");
            GC.Collect();
        }

        Emit(string.Empty);
        Emit($"Load average at end: {LoadAverage()}");
        if (outPath is not null)
        {
            File.WriteAllText(outPath, report.ToString());
        }

        return 0;
    }

    private static CatalogSize ParseCatalog(string name) => name.Trim().ToLowerInvariant() switch
    {
        "tiktok" => CatalogSize.Tiktok6710,
        "100k" => CatalogSize.Synthetic100k,
        "1m" => CatalogSize.Synthetic1M,
        _ => throw new ArgumentException($"unknown catalog '{name}' (tiktok, 100k, 1m)"),
    };

    private static ScoredItem[][] ExactResults(ExactVectorIndex index, Catalog catalog, int count)
    {
        var exact = new ScoredItem[count][];
        for (int q = 0; q < count; q++)
        {
            exact[q] = new ScoredItem[K];
            index.Search(catalog.Query(q), K, exact[q]);
        }

        return exact;
    }

    private static double Recall(ExactVectorIndex index, Catalog catalog, ScoredItem[][] exact)
    {
        var results = new ScoredItem[K];
        double total = 0;
        for (int q = 0; q < exact.Length; q++)
        {
            index.Search(catalog.Query(q), K, results);
            var truth = exact[q].Select(r => r.Item).ToHashSet();
            total += results.Count(r => truth.Contains(r.Item)) / (double)K;
        }

        return total / exact.Length;
    }

    /// <summary>Times each call separately; stops early once <paramref name="budget"/> is spent (for the slow baseline).</summary>
    private static Stats Time(int count, TimeSpan budget, Action<int> action, int warmup = WarmupQueries)
    {
        for (int i = 0; i < warmup; i++)
        {
            action(count + i);
            if (budget != TimeSpan.MaxValue && i >= 2)
            {
                break;
            }
        }

        var microseconds = new List<double>(count);
        long started = Stopwatch.GetTimestamp();
        double cpuStart = ThreadCpuClock.NowMicroseconds();
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action(i);
            microseconds.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            if (Stopwatch.GetElapsedTime(started) > budget && i >= 10)
            {
                break;
            }
        }

        double cpuMean = (ThreadCpuClock.NowMicroseconds() - cpuStart) / microseconds.Count;
        return Stats.Of(microseconds, cpuMean);
    }

    private static string Row(CatalogSize size, string method, Stats stats, Stats baseline, double? recall) =>
        $"| {size} ({Catalog.ItemCountOf(size):N0} x {Catalog.Dimension}) | {method} | {stats.Count} | {stats.Min:F1} | {stats.Median:F1} | {stats.P99:F1} | {stats.CpuMean:F1} | "
        + $"{baseline.Median / stats.Median:F1}x | {(recall is null ? "-" : recall.Value.ToString("F4", CultureInfo.InvariantCulture))} |";

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>Wall-clock median and p99 per call, and the mean CPU time of the calling thread per call.</summary>
    private readonly record struct Stats(int Count, double Min, double Median, double P99, double CpuMean)
    {
        public static Stats Of(List<double> values, double cpuMean)
        {
            values.Sort();
            return new Stats(values.Count, values[0], Percentile(values, 0.50), Percentile(values, 0.99), cpuMean);
        }

        public Stats PerOperation(int operations) => new(Count, Min / operations, Median / operations, P99 / operations, CpuMean / operations);

        /// <summary>Nearest-rank percentile.</summary>
        private static double Percentile(List<double> sorted, double p) =>
            sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
