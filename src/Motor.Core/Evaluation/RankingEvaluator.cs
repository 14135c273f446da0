using Motor.Core.Datasets;
using Motor.Core.Search;

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

    /// <summary>Threads ranking the users of a block (-1: all cores).</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;
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
    /// <remarks>
    /// Recall@K = hits / |T_u|; NDCG@K = DCG / IDCG with gain 1 / log2(rank + 1) and IDCG over min(|T_u|, K) hits;
    /// Precision@K = hits / K. Ties rank the lower item index first; NaN scores never enter the top K. With no evaluable
    /// user every metric is 0 and <see cref="MetricSet.UserCount"/> is 0. Per-user values are summed in user order, so the
    /// result does not depend on the thread schedule.
    /// </remarks>
    public static MetricSet Evaluate(IScoreProvider scores, CsrMatrix mask, CsrMatrix target, EvaluationOptions? options = null, int[]? candidateItems = null)
    {
        options ??= new EvaluationOptions();
        int itemCount = scores.ItemCount;
        int[] cutoffs = [.. options.Cutoffs];
        if (cutoffs.Length == 0 || cutoffs.Any(cutoff => cutoff <= 0))
        {
            throw new ArgumentException("cutoffs must be positive and at least one", nameof(options));
        }

        if (options.UserBlockSize <= 0)
        {
            throw new ArgumentException("UserBlockSize must be positive", nameof(options));
        }

        if (target.ColumnCount > itemCount)
        {
            throw new ArgumentException($"the target has {target.ColumnCount} item columns, the scores only {itemCount}", nameof(target));
        }

        int[]? candidates = null;
        if (candidateItems is not null)
        {
            candidates = candidateItems.Distinct().Order().ToArray();
            if (candidates.Length > 0 && (candidates[0] < 0 || candidates[^1] >= itemCount))
            {
                throw new ArgumentOutOfRangeException(nameof(candidateItems), $"candidate items must be in [0, {itemCount})");
            }
        }

        int maxCutoff = cutoffs.Max();
        int[] users = Enumerable.Range(0, target.RowCount).Where(user => target.RowLength(user) > 0).ToArray();
        int metricsPerUser = 3 * cutoffs.Length;
        double[] perUser = new double[users.Length * metricsPerUser];

        // gain[r] = 1 / log2(r + 2) for 0-based rank r; idealDcg[n] = DCG of n hits at the top.
        double[] gain = new double[maxCutoff];
        double[] idealDcg = new double[maxCutoff + 1];
        for (int rank = 0; rank < maxCutoff; rank++)
        {
            gain[rank] = 1.0 / Math.Log2(rank + 2);
            idealDcg[rank + 1] = idealDcg[rank] + gain[rank];
        }

        int blockSize = Math.Min(options.UserBlockSize, Math.Max(1, users.Length));
        if ((long)blockSize * itemCount > Array.MaxLength)
        {
            throw new ArgumentException($"UserBlockSize {blockSize} x {itemCount} items does not fit in one array", nameof(options));
        }

        float[] blockScores = new float[blockSize * itemCount];
        ParallelOptions parallelOptions = new() { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };

        for (int blockStart = 0; blockStart < users.Length; blockStart += blockSize)
        {
            int blockLength = Math.Min(blockSize, users.Length - blockStart);
            scores.Score(users.AsSpan(blockStart, blockLength), blockScores.AsSpan(0, blockLength * itemCount));
            int firstUser = blockStart;
            Parallel.For(
                0,
                blockLength,
                parallelOptions,
                () => new Workspace(maxCutoff, candidates?.Length ?? 0),
                (index, _, workspace) =>
                {
                    int user = users[firstUser + index];
                    Span<float> row = blockScores.AsSpan(index * itemCount, itemCount);
                    Span<double> metrics = perUser.AsSpan((firstUser + index) * metricsPerUser, metricsPerUser);
                    RankUser(row, user, mask, target, candidates, cutoffs, gain, idealDcg, workspace, metrics);
                    return workspace;
                },
                _ => { });
        }

        Dictionary<string, double> values = [];
        string[] kinds = ["recall", "ndcg", "precision"];
        for (int kind = 0; kind < kinds.Length; kind++)
        {
            for (int c = 0; c < cutoffs.Length; c++)
            {
                double sum = 0;
                for (int u = 0; u < users.Length; u++)
                {
                    sum += perUser[(u * metricsPerUser) + (kind * cutoffs.Length) + c];
                }

                values[$"{kinds[kind]}@{cutoffs[c]}"] = users.Length == 0 ? 0 : sum / users.Length;
            }
        }

        return new MetricSet(values, users.Length);
    }

    private static void RankUser(
        Span<float> row,
        int user,
        CsrMatrix mask,
        CsrMatrix target,
        int[]? candidates,
        int[] cutoffs,
        double[] gain,
        double[] idealDcg,
        Workspace workspace,
        Span<double> metrics)
    {
        if (user < mask.RowCount)
        {
            foreach (int item in mask.Row(user))
            {
                if (item < row.Length)
                {
                    row[item] = float.NegativeInfinity;
                }
            }
        }

        Span<ScoredItem> top = workspace.Top;
        int count;
        if (candidates is null)
        {
            count = TopKSelector.Select(row, top.Length, top);
        }
        else
        {
            Span<float> candidateScores = workspace.CandidateScores;
            for (int i = 0; i < candidates.Length; i++)
            {
                candidateScores[i] = row[candidates[i]];
            }

            // Candidates are ascending, so ties still go to the lower item index after mapping back.
            count = TopKSelector.Select(candidateScores, top.Length, top);
            for (int i = 0; i < count; i++)
            {
                top[i] = top[i] with { Item = candidates[top[i].Item] };
            }
        }

        ReadOnlySpan<int> relevant = target.Row(user);
        int relevantCount = relevant.Length;
        int hits = 0;
        double dcg = 0;
        int rank = 0;
        for (int c = 0; c < cutoffs.Length; c++)
        {
            int cutoff = cutoffs[c];
            int limit = Math.Min(cutoff, count);

            // Cutoffs may come in any order; restart the cumulative counts when one is smaller than the last.
            if (rank > limit)
            {
                hits = 0;
                dcg = 0;
                rank = 0;
            }

            for (; rank < limit; rank++)
            {
                if (relevant.BinarySearch(top[rank].Item) >= 0)
                {
                    hits++;
                    dcg += gain[rank];
                }
            }

            metrics[c] = (double)hits / relevantCount;
            metrics[cutoffs.Length + c] = dcg / idealDcg[Math.Min(relevantCount, cutoff)];
            metrics[(2 * cutoffs.Length) + c] = (double)hits / cutoff;
        }
    }

    private sealed class Workspace(int maxCutoff, int candidateCount)
    {
        private readonly ScoredItem[] _top = new ScoredItem[maxCutoff];
        private readonly float[] _candidateScores = new float[candidateCount];

        public Span<ScoredItem> Top => _top;

        public Span<float> CandidateScores => _candidateScores;
    }
}
