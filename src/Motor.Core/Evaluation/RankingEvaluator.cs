using Motor.Core.Datasets;

namespace Motor.Core.Evaluation;

/// <summary>Fills scores for a block of users over all items (users.Length x ItemCount, row-major).</summary>
public interface IScoreProvider
{
    int ItemCount { get; }

    void Score(ReadOnlySpan<int> users, Span<float> scores);
}

public sealed record EvaluationOptions
{
    public static readonly int[] DefaultCutoffs = [5, 10, 20, 50];

    public IReadOnlyList<int> Cutoffs { get; init; } = DefaultCutoffs;

    /// <summary>Users scored per block (memory: block x items floats).</summary>
    public int UserBlockSize { get; init; } = 1024;
}

/// <summary>Metric name -> value, names as "recall@20", "ndcg@20", "precision@20"; averaged over evaluated users.</summary>
public sealed class MetricSet(IReadOnlyDictionary<string, double> values, int userCount)
{
    public IReadOnlyDictionary<string, double> Values { get; } = values;

    /// <summary>Users with at least one target item.</summary>
    public int UserCount { get; } = userCount;

    public double this[string name] => Values[name];
}

/// <summary>Full-ranking evaluation exactly as PROTOCOL.md.</summary>
public static class RankingEvaluator
{
    /// <summary>
    /// For each user with at least one item in <paramref name="target"/>: score all items, mask the user's items in
    /// <paramref name="mask"/> (training items) to minus infinity, take the top K, and compute Recall/NDCG/Precision.
    /// With <paramref name="candidateItems"/>, only those items are ranked (item hold-out protocol).
    /// </summary>
    public static MetricSet Evaluate(IScoreProvider scores, CsrMatrix mask, CsrMatrix target, EvaluationOptions? options = null, int[]? candidateItems = null)
        => throw new NotImplementedException();
}
