using System.Diagnostics;
using Motor.Core.Search;

namespace Motor.Core.Tests.Search;

public sealed class ConcurrentUpsertTests
{
    private const int Dimension = 64;

    /// <summary>
    /// A writer appends and replaces rows while readers search. Every row is a constant vector whose value encodes
    /// (item, version), and the query is all ones, so each returned score must be exactly Dimension x a value that row
    /// really held; a torn or half-written row would score something in between (or zero).
    /// </summary>
    [Theory]
    [InlineData(VectorPrecision.Float32)]
    [InlineData(VectorPrecision.Float16)]
    [InlineData(VectorPrecision.Int8)]
    public async Task SearchesNeverSeeAHalfWrittenRow(VectorPrecision precision)
    {
        var index = new ExactVectorIndex(Dimension, precision);
        index.AppendRange(Row(0, 0));
        using var stop = new CancellationTokenSource();
        long writes = 0;
        int failures = 0;
        string? firstFailure = null;
        long searches = 0;

        // Dedicated threads: on a busy 2-core machine pool threads may start only after a short deadline.
        var writer = Task.Factory.StartNew(() =>
        {
            var random = new Random(1);
            while (!stop.IsCancellationRequested)
            {
                int count = index.Count;
                if (count < 60000 && random.Next(4) != 0)
                {
                    index.Upsert(count, Row(count, 0));
                }
                else
                {
                    int item = random.Next(count);
                    index.Upsert(item, Row(item, random.Next(1, 4)));
                }

                Interlocked.Increment(ref writes);
            }
        }, TaskCreationOptions.LongRunning);

        Task[] readers = [.. Enumerable.Range(0, 2).Select(r => Task.Factory.StartNew(() =>
        {
            float[] query = [.. Enumerable.Repeat(1f, Dimension)];
            var results = new ScoredItem[32];
            var vector = new float[Dimension];
            while (!stop.IsCancellationRequested)
            {
                int written = index.Search(query, results.Length, results);
                Interlocked.Increment(ref searches);
                for (int i = 0; i < written; i++)
                {
                    if (!IsValidScore(results[i].Item, results[i].Score / Dimension))
                    {
                        Interlocked.Increment(ref failures);
                        firstFailure ??= $"item {results[i].Item} scored {results[i].Score}";
                    }
                }

                int probe = Random.Shared.Next(index.Count);
                index.CopyVector(probe, vector);
                if (vector.Any(v => v != vector[0]) || !IsValidScore(probe, vector[0]))
                {
                    Interlocked.Increment(ref failures);
                    firstFailure ??= $"item {probe} read back as [{string.Join(", ", vector)}]";
                }
            }
        }, TaskCreationOptions.LongRunning))];

        // About 300 ms of contention once both sides are running, capped at 2 s.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(2) &&
            (watch.Elapsed < TimeSpan.FromMilliseconds(300) || Interlocked.Read(ref writes) < 1000 || Interlocked.Read(ref searches) < 100))
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Task.WhenAll([writer, .. readers]);
        Assert.True(searches > 10, $"only {searches} searches ran");
        Assert.True(index.Count > 100, $"only {index.Count} rows were appended");
        Assert.True(failures == 0, $"{failures} torn reads, first: {firstFailure}");
    }

    /// <summary>Row value for (item, version): distinct per version and positive (a never-written row reads as zero).</summary>
    private static float Value(int item, int version) => 1f + (item % 1000) + (version * 2000f);

    private static float[] Row(int item, int version) => [.. Enumerable.Repeat(Value(item, version), Dimension)];

    private static bool IsValidScore(int item, float value)
    {
        for (int version = 0; version < 4; version++)
        {
            float expected = Value(item, version);
            if (MathF.Abs(value - expected) <= expected * 2e-3f)
            {
                return true;
            }
        }

        return false;
    }
}
