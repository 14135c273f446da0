using Motor.Core.Search;
using Xunit.Abstractions;

namespace Motor.Core.Tests.Search;

public sealed class ReducedPrecisionRecallTests(ITestOutputHelper output)
{
    /// <summary>
    /// Recall@20 of the reduced-precision indexes against exact float32 scoring on isotropic Gaussian vectors, the hard
    /// case (many near-equal scores; real embeddings have a clearer top). Bounds sit a little under what was measured.
    /// </summary>
    [Theory]
    [InlineData(VectorPrecision.Float16, 0.995)]
    [InlineData(VectorPrecision.Int8, 0.97)]
    public void RecallAt20AgainstExactFloat32(VectorPrecision precision, double minimumRecall)
    {
        var random = new Random(2024);
        const int Dimension = 64, Count = 20000, Queries = 100, K = 20;
        float[] items = SearchReference.GaussianVectors(random, Count, Dimension);
        float[] queries = SearchReference.GaussianVectors(random, Queries, Dimension);
        var exact = new ExactVectorIndex(Dimension, items);
        var reduced = new ExactVectorIndex(Dimension, items, precision);
        var exactResults = new ScoredItem[K];
        var reducedResults = new ScoredItem[K];
        double recall = 0;
        for (int q = 0; q < Queries; q++)
        {
            ReadOnlySpan<float> query = queries.AsSpan(q * Dimension, Dimension);
            exact.Search(query, K, exactResults);
            reduced.Search(query, K, reducedResults);
            recall += SearchReference.RecallAtK(exactResults, reducedResults);
        }

        recall /= Queries;
        output.WriteLine($"{precision}: Recall@{K} vs exact float32 = {recall:F4} ({Count} x {Dimension} Gaussian items, {Queries} queries)");
        Assert.InRange(recall, minimumRecall, 1.0);
    }
}
