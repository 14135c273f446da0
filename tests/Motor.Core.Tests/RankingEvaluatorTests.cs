using System.Diagnostics;
using Motor.Core.Datasets;
using Motor.Core.Evaluation;
using Xunit.Abstractions;

namespace Motor.Core.Tests;

public sealed class RankingEvaluatorTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-12;

    // 4 users x 6 items. User 2 has no target item and is skipped.
    private static readonly float[][] s_scores =
    [
        [0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f],
        [0.1f, 0.2f, 0.3f, 0.9f, 0.2f, 0.0f],
        [0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f],
        [1f, 1f, 1f, 5f, 1f, 1f],
    ];

    private static readonly CsrMatrix s_train = CsrMatrix.FromPairs(4, 6, [0, 3, 2], [0, 3, 1]);

    private static readonly CsrMatrix s_test = CsrMatrix.FromPairs(4, 6, [0, 0, 1, 3], [2, 5, 3, 1]);

    private static readonly double s_gain2 = 1 / Math.Log2(3);

    [Fact]
    public void MatchesHandComputedMetrics()
    {
        MetricSet metrics = RankingEvaluator.Evaluate(new TableScores(s_scores), s_train, s_test, new EvaluationOptions { Cutoffs = [1, 3] });

        // User 0: training item 0 masked, ranking 1,2,3,4,5; targets {2,5}: hit at rank 2 only.
        // User 1: ranking 3,2,1,4 (tie 0.2: lower index first); target {3} (|T_u| = 1 < K): hit at rank 1.
        // User 3: training item 3 masked, ties at 1: ranking 0,1,2; target {1}: hit at rank 2.
        Assert.Equal(3, metrics.UserCount);
        Assert.Equal(1.0 / 3, metrics["recall@1"], Tolerance);
        Assert.Equal(1.0 / 3, metrics["ndcg@1"], Tolerance);
        Assert.Equal(1.0 / 3, metrics["precision@1"], Tolerance);
        Assert.Equal((0.5 + 1 + 1) / 3, metrics["recall@3"], Tolerance);
        Assert.Equal(((s_gain2 / (1 + s_gain2)) + 1 + s_gain2) / 3, metrics["ndcg@3"], Tolerance);
        Assert.Equal(1.0 / 3, metrics["precision@3"], Tolerance);
        Assert.Equal(
            ["recall@1", "recall@3", "ndcg@1", "ndcg@3", "precision@1", "precision@3"],
            metrics.Values.Keys);
    }

    [Fact]
    public void MaskedTrainingItemsAreNeverHits()
    {
        // User 0's best item is both a training item and a target: masked, so it cannot count.
        CsrMatrix target = CsrMatrix.FromPairs(4, 6, [0], [0]);

        MetricSet metrics = RankingEvaluator.Evaluate(new TableScores(s_scores), s_train, target, new EvaluationOptions { Cutoffs = [5] });

        Assert.Equal(1, metrics.UserCount);
        Assert.Equal(0, metrics["recall@5"]);

        MetricSet unmasked = RankingEvaluator.Evaluate(new TableScores(s_scores), CsrMatrix.FromPairs(4, 6, [], []), target, new EvaluationOptions { Cutoffs = [5] });
        Assert.Equal(1, unmasked["recall@5"]);
        Assert.Equal(1, unmasked["ndcg@5"]);
        Assert.Equal(0.2, unmasked["precision@5"], Tolerance);
    }

    [Fact]
    public void CandidateItemsRestrictTheRanking()
    {
        CsrMatrix target = CsrMatrix.FromPairs(4, 6, [0, 0], [2, 5]);

        MetricSet metrics = RankingEvaluator.Evaluate(
            new TableScores(s_scores), s_train, target, new EvaluationOptions { Cutoffs = [1, 3] }, candidateItems: [5, 2, 4]);

        // Among {2, 4, 5}: ranking 2, 4, 5.
        Assert.Equal(0.5, metrics["recall@1"], Tolerance);
        Assert.Equal(1, metrics["ndcg@1"], Tolerance);
        Assert.Equal(1, metrics["precision@1"], Tolerance);
        Assert.Equal(1, metrics["recall@3"], Tolerance);
        Assert.Equal((1 + 0.5) / (1 + s_gain2), metrics["ndcg@3"], Tolerance);
        Assert.Equal(2.0 / 3, metrics["precision@3"], Tolerance);
    }

    [Fact]
    public void NoEvaluableUserGivesZeroMetrics()
    {
        MetricSet metrics = RankingEvaluator.Evaluate(new TableScores(s_scores), s_train, CsrMatrix.FromPairs(4, 6, [], []));

        Assert.Equal(0, metrics.UserCount);
        Assert.Equal(0, metrics["recall@20"]);
        Assert.Equal(12, metrics.Values.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1024)]
    public void MatchesNaiveReferenceOnRandomDataForAnyBlockSize(int blockSize)
    {
        const int users = 60;
        const int items = 200;
        const int dimension = 8;
        Random random = new(5);
        float[] userVectors = RandomVectors(random, users * dimension);
        float[] itemVectors = RandomVectors(random, items * dimension);
        InteractionDataset dataset = SyntheticDataset.Create(users, items, seed: 9, perUser: 12);
        DotProductScoreProvider provider = new(userVectors, itemVectors, dimension);

        MetricSet metrics = RankingEvaluator.Evaluate(provider, dataset.TrainByUser, dataset.TestByUser, new EvaluationOptions { UserBlockSize = blockSize });

        Dictionary<string, double> expected = NaiveMetrics(provider, dataset.TrainByUser, dataset.TestByUser, [5, 10, 20, 50]);
        foreach ((string name, double value) in expected)
        {
            Assert.Equal(value, metrics[name], 1e-9);
        }
    }

    [Fact]
    public void NaturalColdStartKeepsOnlyColdTestItems()
    {
        InteractionDataset dataset = SyntheticDataset.Create(userCount: 30, itemCount: 100, seed: 2);

        CsrMatrix cold = ColdStartTargets.Natural(dataset);

        HashSet<int> coldItems = [.. dataset.ColdItems];
        Assert.All(cold.Columns, item => Assert.Contains(item, coldItems));
        for (int user = 0; user < dataset.UserCount; user++)
        {
            Assert.Equal(dataset.TestByUser.Row(user).ToArray().Where(coldItems.Contains), cold.Row(user).ToArray());
        }

        Assert.True(cold.NonZeroCount > 0);
        Assert.True(cold.NonZeroCount < dataset.TestByUser.NonZeroCount);
    }

    [Fact]
    public void DotProductScoresMatchNaiveDotProducts()
    {
        Random random = new(3);
        const int dimension = 13;
        float[] userVectors = RandomVectors(random, 11 * dimension);
        float[] itemVectors = RandomVectors(random, 37 * dimension);
        DotProductScoreProvider provider = new(userVectors, itemVectors, dimension);
        int[] users = [10, 0, 3, 3, 7, 1];
        float[] scores = new float[users.Length * 37];

        provider.Score(users, scores);

        for (int u = 0; u < users.Length; u++)
        {
            for (int item = 0; item < 37; item++)
            {
                float expected = 0;
                for (int k = 0; k < dimension; k++)
                {
                    expected += userVectors[(users[u] * dimension) + k] * itemVectors[(item * dimension) + k];
                }

                Assert.Equal(expected, scores[(u * 37) + item], 1e-4f);
            }
        }
    }

    [Fact]
    public void TiktokSizedEvaluationIsFast()
    {
        const int users = 9308;
        const int items = 6710;
        const int dimension = 64;
        Random random = new(1);
        DotProductScoreProvider provider = new(RandomVectors(random, users * dimension), RandomVectors(random, items * dimension), dimension);
        float[] block = new float[1024 * items];
        int[] blockUsers = Enumerable.Range(0, 1024).ToArray();

        provider.Score(blockUsers, block);
        Stopwatch watch = Stopwatch.StartNew();
        for (int start = 0; start < users; start += 1024)
        {
            int count = Math.Min(1024, users - start);
            provider.Score(Enumerable.Range(start, count).ToArray(), block.AsSpan(0, count * items));
        }

        TimeSpan scoring = watch.Elapsed;
        InteractionDataset dataset = SyntheticDataset.Create(users, items, seed: 4, perUser: 8);
        watch.Restart();
        MetricSet metrics = RankingEvaluator.Evaluate(provider, dataset.TrainByUser, dataset.TestByUser);
        TimeSpan evaluation = watch.Elapsed;

        output.WriteLine($"scoring {users} x {items} x {dimension}: {scoring.TotalMilliseconds:F0} ms; full evaluation (K = 5/10/20/50): {evaluation.TotalMilliseconds:F0} ms on {Environment.ProcessorCount} cores (shared machine, noisy)");
        Assert.Equal(users, metrics.UserCount);

        // A generous bound: it only catches a pathological slowdown, the machine running the tests may be shared.
        Assert.True(evaluation < TimeSpan.FromSeconds(30), $"evaluation took {evaluation}");
    }

    internal static float[] RandomVectors(Random random, int count)
        => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();

    private static Dictionary<string, double> NaiveMetrics(IScoreProvider provider, CsrMatrix mask, CsrMatrix target, int[] cutoffs)
    {
        Dictionary<string, double> sums = [];
        int evaluated = 0;
        float[] row = new float[provider.ItemCount];
        for (int user = 0; user < target.RowCount; user++)
        {
            int[] relevant = target.Row(user).ToArray();
            if (relevant.Length == 0)
            {
                continue;
            }

            evaluated++;
            provider.Score([user], row);
            int[] ranking = Enumerable.Range(0, row.Length)
                .Where(item => !mask.Contains(user, item))
                .OrderByDescending(item => row[item])
                .ThenBy(item => item)
                .ToArray();
            foreach (int cutoff in cutoffs)
            {
                int hits = 0;
                double dcg = 0;
                double idcg = 0;
                for (int rank = 0; rank < cutoff && rank < ranking.Length; rank++)
                {
                    if (relevant.Contains(ranking[rank]))
                    {
                        hits++;
                        dcg += 1 / Math.Log2(rank + 2);
                    }
                }

                for (int rank = 0; rank < Math.Min(relevant.Length, cutoff); rank++)
                {
                    idcg += 1 / Math.Log2(rank + 2);
                }

                Add(sums, $"recall@{cutoff}", (double)hits / relevant.Length);
                Add(sums, $"ndcg@{cutoff}", dcg / idcg);
                Add(sums, $"precision@{cutoff}", (double)hits / cutoff);
            }
        }

        return sums.ToDictionary(pair => pair.Key, pair => pair.Value / evaluated);
    }

    private static void Add(Dictionary<string, double> sums, string name, double value)
        => sums[name] = sums.GetValueOrDefault(name) + value;

    private sealed class TableScores(float[][] rows) : IScoreProvider
    {
        public int ItemCount => rows[0].Length;

        public void Score(ReadOnlySpan<int> users, Span<float> scores)
        {
            for (int i = 0; i < users.Length; i++)
            {
                rows[users[i]].CopyTo(scores.Slice(i * ItemCount, ItemCount));
            }
        }
    }
}
