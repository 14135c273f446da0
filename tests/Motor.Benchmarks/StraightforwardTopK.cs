using Motor.Core.Search;

namespace Motor.Benchmarks;

/// <summary>
/// The straightforward implementation the index is compared with: a plain scalar dot product per item into a full
/// score array, then a full sort of all items by score.
/// </summary>
public sealed class StraightforwardTopK(float[] items, int dimension)
{
    private readonly float[] _scores = new float[items.Length / dimension];
    private readonly int[] _order = new int[items.Length / dimension];

    public int Search(ReadOnlySpan<float> query, int k, Span<ScoredItem> results)
    {
        int count = _scores.Length;
        for (int i = 0; i < count; i++)
        {
            float sum = 0;
            int offset = i * dimension;
            for (int j = 0; j < dimension; j++)
            {
                sum += items[offset + j] * query[j];
            }

            // Negated so an ascending sort puts the best first.
            _scores[i] = -sum;
            _order[i] = i;
        }

        Array.Sort(_scores, _order);
        int take = Math.Min(k, count);
        for (int i = 0; i < take; i++)
        {
            results[i] = new ScoredItem(_order[i], -_scores[i]);
        }

        return take;
    }
}
