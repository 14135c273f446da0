using Motor.Core.Search;

namespace Motor.Core.Tests.Search;

/// <summary>The straightforward implementation the index must agree with: score every item, sort, take k.</summary>
internal static class SearchReference
{
    public static ScoredItem[] TopK(float[] items, int dimension, ReadOnlySpan<float> query, int k, Func<int, bool>? exclude = null)
    {
        int count = items.Length / dimension;
        var scored = new List<ScoredItem>(count);
        for (int i = 0; i < count; i++)
        {
            if (exclude?.Invoke(i) == true)
            {
                continue;
            }

            double sum = 0;
            for (int j = 0; j < dimension; j++)
            {
                sum += (double)items[(i * dimension) + j] * query[j];
            }

            scored.Add(new ScoredItem(i, (float)sum));
        }

        return [.. scored.OrderByDescending(s => s.Score).ThenBy(s => s.Item).Take(k)];
    }

    /// <summary>Small integers: every dot product is exact in float32 whatever the summation order, and ties are common.</summary>
    public static float[] IntegerVectors(Random random, int count, int dimension) =>
        [.. Enumerable.Range(0, count * dimension).Select(_ => (float)random.Next(-3, 4))];

    public static float[] GaussianVectors(Random random, int count, int dimension)
    {
        var values = new float[count * dimension];
        for (int i = 0; i < values.Length; i++)
        {
            // Box-Muller.
            double u = 1.0 - random.NextDouble();
            double v = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v));
        }

        return values;
    }

    public static double RecallAtK(ReadOnlySpan<ScoredItem> exact, ReadOnlySpan<ScoredItem> approximate)
    {
        var truth = new HashSet<int>();
        foreach (ScoredItem item in exact)
        {
            truth.Add(item.Item);
        }

        int hits = 0;
        foreach (ScoredItem item in approximate)
        {
            hits += truth.Contains(item.Item) ? 1 : 0;
        }

        return (double)hits / exact.Length;
    }
}
