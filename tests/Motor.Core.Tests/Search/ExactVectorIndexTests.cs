using Motor.Core.Search;

namespace Motor.Core.Tests.Search;

public sealed class ExactVectorIndexTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 517, 20)]
    [InlineData(64, 6710, 20)]
    [InlineData(70, 1003, 50)]
    [InlineData(1000, 300, 7)] // 256 rows per chunk: several chunks and a partial tail chunk
    public void SearchEqualsSortReferenceIncludingTies(int dimension, int count, int k)
    {
        var random = new Random(dimension * 7919 + count);
        float[] items = SearchReference.IntegerVectors(random, count, dimension);
        var index = new ExactVectorIndex(dimension, items);
        var results = new ScoredItem[k];
        for (int q = 0; q < 12; q++)
        {
            float[] query = SearchReference.IntegerVectors(random, 1, dimension);
            int written = index.Search(query, k, results);
            Assert.Equal(SearchReference.TopK(items, dimension, query, k), results[..written]);
        }
    }

    [Fact]
    public void TiesGoToTheLowerItemIndex()
    {
        // 40 identical rows: every score ties, so the top 20 are items 0..19 in order.
        float[] items = [.. Enumerable.Repeat(1f, 40 * 16)];
        var index = new ExactVectorIndex(16, items);
        var results = new ScoredItem[20];
        Assert.Equal(20, index.Search(Enumerable.Repeat(1f, 16).ToArray(), 20, results));
        Assert.Equal(Enumerable.Range(0, 20), results.Select(r => r.Item));
        Assert.All(results, r => Assert.Equal(16f, r.Score));
    }

    [Fact]
    public void GaussianDataMatchesReferenceItemsAndScores()
    {
        var random = new Random(11);
        const int Dimension = 64;
        float[] items = SearchReference.GaussianVectors(random, 5000, Dimension);
        var index = new ExactVectorIndex(Dimension, items);
        var results = new ScoredItem[20];
        for (int q = 0; q < 20; q++)
        {
            float[] query = SearchReference.GaussianVectors(random, 1, Dimension);
            int written = index.Search(query, 20, results);
            ScoredItem[] expected = SearchReference.TopK(items, Dimension, query, 20);
            Assert.Equal(expected.Select(e => e.Item), results[..written].Select(r => r.Item));
            for (int i = 0; i < written; i++)
            {
                Assert.Equal(expected[i].Score, results[i].Score, 1e-4f);
            }
        }
    }

    [Theory]
    [InlineData(VectorPrecision.Float32)]
    [InlineData(VectorPrecision.Float16)]
    [InlineData(VectorPrecision.Int8)]
    public void ExclusionSkipsItemsAndIsOnlyAskedAboutCandidates(VectorPrecision precision)
    {
        var random = new Random(5);
        const int Dimension = 32, Count = 20000;
        float[] items = SearchReference.IntegerVectors(random, Count, Dimension);
        var index = new ExactVectorIndex(Dimension, items, precision);
        float[] query = SearchReference.IntegerVectors(random, 1, Dimension);
        var results = new ScoredItem[20];
        int baseline = index.Search(query, 20, results);
        Assert.Equal(20, baseline);
        HashSet<int> excluded = [.. results.Take(10).Select(r => r.Item), 1, 2, 3];
        int asked = 0;
        int written = index.Search(query, 20, results, item =>
        {
            asked++;
            return excluded.Contains(item);
        });

        Assert.Equal(20, written);
        Assert.DoesNotContain(results, r => excluded.Contains(r.Item));
        if (precision == VectorPrecision.Float32)
        {
            Assert.Equal(SearchReference.TopK(items, Dimension, query, 20, excluded.Contains), results);
        }

        // The predicate sees candidates only: far fewer calls than items.
        Assert.InRange(asked, 20, Count / 10);
    }

    [Theory]
    [InlineData(VectorPrecision.Float32, 3)]
    [InlineData(VectorPrecision.Float32, 70)]
    [InlineData(VectorPrecision.Float32, 200)]
    [InlineData(VectorPrecision.Float16, 65)]
    [InlineData(VectorPrecision.Int8, 65)]
    public void SearchBatchEqualsOneQueryAtATime(VectorPrecision precision, int queryCount)
    {
        var random = new Random(queryCount);
        const int Dimension = 24, Count = 3001, K = 15;
        float[] items = SearchReference.IntegerVectors(random, Count, Dimension);
        var index = new ExactVectorIndex(Dimension, items, precision);
        float[] queries = SearchReference.IntegerVectors(random, queryCount, Dimension);
        var batch = new ScoredItem[queryCount * K];
        var counts = new int[queryCount];
        Func<int, int, bool> exclude = (query, item) => (item + query) % 5 == 0;
        index.SearchBatch(queries, K, batch, counts, exclude);
        var single = new ScoredItem[K];
        for (int q = 0; q < queryCount; q++)
        {
            int query = q;
            int written = index.Search(queries.AsSpan(q * Dimension, Dimension), K, single, item => exclude(query, item));
            Assert.Equal(written, counts[q]);
            ScoredItem[] batched = batch.AsSpan(q * K, counts[q]).ToArray();
            if (precision == VectorPrecision.Float32)
            {
                // Integer data: exact whatever the summation order.
                Assert.Equal(single[..written], batched);
            }
            else
            {
                // Dequantized values are not integers, so the two kernels' summation orders may swap near-ties.
                for (int i = 0; i < written; i++)
                {
                    Assert.Equal(single[i].Score, batched[i].Score, 1e-3f * Math.Max(1f, Math.Abs(single[i].Score)));
                    Assert.Contains(batched, b => b.Item == single[i].Item || MathF.Abs(b.Score - single[i].Score) <= 1e-3f * Math.Max(1f, Math.Abs(single[i].Score)));
                }
            }
        }
    }

    [Theory]
    [InlineData(20, 70)] // the sorted insertion (k <= 32) and a padded second query block
    [InlineData(50, 130)] // binary-search insertion (k > 32)
    public void SearchBatchEqualsSortReferenceIncludingTiesAndExclusions(int k, int queryCount)
    {
        var random = new Random(k * 31 + queryCount);
        const int Dimension = 20, Count = 2500;
        float[] items = SearchReference.IntegerVectors(random, Count, Dimension);
        var index = new ExactVectorIndex(Dimension, items);
        float[] queries = SearchReference.IntegerVectors(random, queryCount, Dimension);
        var batch = new ScoredItem[queryCount * k];
        var counts = new int[queryCount];
        foreach (Func<int, int, bool>? exclude in new Func<int, int, bool>?[] { null, (query, item) => (item * 7 + query) % 3 == 0 })
        {
            index.SearchBatch(queries, k, batch, counts, exclude);
            for (int q = 0; q < queryCount; q++)
            {
                int query = q;
                Func<int, bool>? excludeOne = exclude is null ? null : item => exclude(query, item);
                ScoredItem[] expected = SearchReference.TopK(items, Dimension, queries.AsSpan(q * Dimension, Dimension), k, excludeOne);
                Assert.Equal(expected, batch.AsSpan(q * k, counts[q]).ToArray());
            }
        }
    }

    [Fact]
    public void KAboveCountReturnsEveryItemAndEmptyIndexReturnsNothing()
    {
        var index = new ExactVectorIndex(4);
        var results = new ScoredItem[10];
        Assert.Equal(0, index.Search([1, 2, 3, 4], 10, results));
        Assert.Equal(0, index.AppendRange([]));
        Assert.Equal(0, index.AppendRange([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]));
        Assert.Equal(3, index.Search([1, 2, 3, 4], 10, results));
        Assert.Equal([2, 1, 0], results.Take(3).Select(r => r.Item));
        var counts = new int[3];
        index.SearchBatch(new float[12], 10, new ScoredItem[30], counts);
        Assert.Equal([3, 3, 3], counts);
    }

    [Fact]
    public void UpsertAppendsAndReplaces()
    {
        var index = new ExactVectorIndex(3);
        index.Upsert(0, [1, 0, 0]);
        index.Upsert(1, [0, 1, 0]);
        index.Upsert(0, [0, 0, 5]);
        Assert.Equal(2, index.Count);
        var vector = new float[3];
        index.CopyVector(0, vector);
        Assert.Equal([0f, 0f, 5f], vector);
        var results = new ScoredItem[1];
        index.Search([0, 0, 1], 1, results);
        Assert.Equal(new ScoredItem(0, 5f), results[0]);
    }

    [Theory]
    [InlineData(VectorPrecision.Float16, 1e-3)]
    [InlineData(VectorPrecision.Int8, 1e-2)]
    public void ReducedPrecisionRoundTripsWithinTolerance(VectorPrecision precision, double relativeTolerance)
    {
        var random = new Random(3);
        float[] items = SearchReference.GaussianVectors(random, 50, 40);
        var index = new ExactVectorIndex(40, items, precision);
        var vector = new float[40];
        for (int i = 0; i < 50; i++)
        {
            index.CopyVector(i, vector);
            float maxAbsolute = items.AsSpan(i * 40, 40).ToArray().Max(MathF.Abs);
            for (int j = 0; j < 40; j++)
            {
                Assert.InRange(vector[j] - items[(i * 40) + j], -relativeTolerance * maxAbsolute, relativeTolerance * maxAbsolute);
            }
        }
    }

    [Fact]
    public void InvalidInputIsRejectedWithTheReason()
    {
        var index = new ExactVectorIndex(4, [1, 2, 3, 4]);
        var results = new ScoredItem[5];
        Assert.Contains("Expected 4 values", Assert.Throws<ArgumentException>(() => index.Search([1, 2, 3], 5, results)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1, 2, 3, 4], 0, results));
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => index.Upsert(1, [1, float.NaN, 0, 0])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Upsert(5, [1, 2, 3, 4]));
        Assert.Throws<ArgumentException>(() => index.AppendRange([1, 2, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.CopyVector(1, new float[4]));
        Assert.Equal(1, index.Count);
    }
}
