using Motor.Core.Evaluation;

namespace Motor.Core.Tests.Search;

/// <summary>The search path's batched dot-product kernel as the evaluator uses it (user rows x item panels, scores written at the item-count stride).</summary>
public sealed class BatchedKernelTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(37, 5, 13)] // a user chunk not a multiple of the kernel's 4 rows, one partial item panel
    [InlineData(70, 200, 64)] // users in two chunks, full panels and a partial one
    [InlineData(33, 128, 17)] // item count a multiple of the panel width
    public void DotProductScoreProviderMatchesExactIntegerDotProducts(int userCount, int itemCount, int dimension)
    {
        var random = new Random(userCount * 101 + itemCount);
        float[] users = SearchReference.IntegerVectors(random, userCount, dimension);
        float[] items = SearchReference.IntegerVectors(random, itemCount, dimension);
        var provider = new DotProductScoreProvider(users, items, dimension) { MaxDegreeOfParallelism = 2 };

        // Repeated and out-of-order users; the span is longer than needed and the extra values must stay untouched.
        int[] selected = [.. Enumerable.Range(0, userCount + 3).Select(i => (i * 7 + 3) % userCount)];
        float[] scores = new float[(selected.Length * itemCount) + 5];
        scores.AsSpan().Fill(float.NaN);
        provider.Score(selected, scores);

        for (int u = 0; u < selected.Length; u++)
        {
            for (int item = 0; item < itemCount; item++)
            {
                float expected = 0;
                for (int j = 0; j < dimension; j++)
                {
                    expected += users[(selected[u] * dimension) + j] * items[(item * dimension) + j];
                }

                // Small integers: exact in float32 whatever the summation order.
                Assert.Equal(expected, scores[(u * itemCount) + item]);
            }
        }

        Assert.All(scores[^5..], value => Assert.True(float.IsNaN(value)));
    }
}
