namespace Motor.Core.Search;

/// <summary>An item index with its score.</summary>
public readonly record struct ScoredItem(int Item, float Score);

/// <summary>Exact top-k selection over a score vector: descending score, ties to the lower item index.</summary>
public static class TopKSelector
{
    /// <summary>Writes the best min(k, candidates) items to <paramref name="result"/> in rank order; returns how many. Minus infinity scores are never returned.</summary>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<ScoredItem> result) => throw new NotImplementedException();
}
