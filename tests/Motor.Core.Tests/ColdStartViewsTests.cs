using Motor.Core.Datasets;
using Motor.Core.Evaluation;
using Motor.Core.Features;

namespace Motor.Core.Tests;

public sealed class ColdStartViewsTests
{
    /// <summary>
    /// Two users, six items: 0-3 warm, 4 cold-valid, 5 cold-test. Full train u0 {0}, u1 {1, 5}; valid u0 {2};
    /// test u0 {3, 5}, u1 {4, 2}. The training view drops item 5's training interaction.
    /// </summary>
    private static (InteractionDataset Dataset, ItemHoldout Holdout) HandMade()
    {
        InteractionDataset dataset = InteractionDataset.FromSplits(
            "hand", "/hand", 2, 6, new InteractionSplit([0, 1, 1], [0, 1, 5]), new InteractionSplit([0], [2]), new InteractionSplit([0, 0, 1, 1], [3, 5, 4, 2]), [], "hand");
        InteractionDataset view = InteractionDataset.FromSplits(
            "hand", "/hand", 2, 6, new InteractionSplit([0, 1], [0, 1]), new InteractionSplit([0], [2]), new InteractionSplit([0, 1], [3, 2]), [], "hand");
        var holdout = new ItemHoldout
        {
            TrainingView = view,
            HeldOutItems = [4, 5],
            ColdValidItems = [4],
            ColdTestItems = [5],
            WarmItems = [0, 1, 2, 3],
            ColdValidTargets = CsrMatrix.FromPairs(2, 6, [1], [4]),
            ColdTestTargets = CsrMatrix.FromPairs(2, 6, [0, 1], [5, 5]),
        };
        return (dataset, holdout);
    }

    [Fact]
    public void EachViewRanksItsCandidatesForItsTargets()
    {
        (InteractionDataset dataset, ItemHoldout holdout) = HandMade();

        // u0: 1 > 5 > 2 > 4 > 3 (0 is a training item, masked); u1: 4 > 2 > 3 > 5 > 0 (1 masked).
        var scores = new FixedScores(6, [[9, 5, 4, 1, 2, 4.5f], [1, 9, 6, 5, 7, 2]]);
        ColdStartViews views = ColdStartEvaluation.Evaluate(scores, dataset, holdout, new EvaluationOptions { Cutoffs = [1, 2] });

        // Warm (test of warm items among warm items): u0's item 3 is third of {1, 2, 3}; u1's item 2 is first of {0, 2, 3}.
        Assert.Equal(0.5, views.Warm["recall@1"], 12);
        Assert.Equal(0.5, views.Warm["recall@2"], 12);

        // Cold (item 5 among cold-test items only): first for both users.
        Assert.Equal(1.0, views.Cold["recall@1"], 12);

        // Hybrid (item 5 against the whole catalog): second for u0, fourth for u1.
        Assert.Equal(0.0, views.Hybrid["recall@1"], 12);
        Assert.Equal(0.5, views.Hybrid["recall@2"], 12);
        Assert.Equal(0.5 / Math.Log2(3), views.Hybrid["ndcg@2"], 12);
        Assert.Equal(2, views.ColdTestUsers);

        // Overall (all test interactions, whole catalog): u0 {3, 5} has 5 in its top 2 (1/2); u1 {4, 2} has both (2/2).
        Assert.Equal(0.25, views.Overall["recall@1"], 12);
        Assert.Equal(0.75, views.Overall["recall@2"], 12);

        // Cold-valid: item 4 for u1, first among {4} and first in the whole catalog.
        Assert.Equal(1.0, views.ColdValid["recall@1"], 12);
        Assert.Equal(1.0, views.HybridValid["recall@1"], 12);

        // Natural: test interactions of items without training interaction in the view that are not held out (2 and 3).
        Assert.Equal(0.0, views.Natural["recall@1"], 12);
        Assert.Equal(0.5, views.Natural["recall@2"], 12);
    }

    [Fact]
    public void ContentKnnScoresTheCosineBetweenTheMeanProfileAndEachItem()
    {
        // One 2-d modality, rows already L2-normalised; u0 trained on items 0 and 1, u1 on item 2.
        float[] features = [1, 0, 0, 1, 0.6f, 0.8f, -1, 0];
        var train = CsrMatrix.FromPairs(2, 4, [0, 0, 1], [0, 1, 2]);

        IScoreProvider knn = ContentKnn.Create(features, 2, train);
        float[] scores = new float[8];
        knn.Score([0, 1], scores);

        // u0's profile ∝ (1, 0) + (0, 1) -> (1, 1)/√2; u1's is item 2's direction (0.6, 0.8).
        float[] expected =
        [
            (float)(1 / Math.Sqrt(2)), (float)(1 / Math.Sqrt(2)), (float)(1.4 / Math.Sqrt(2)), (float)(-1 / Math.Sqrt(2)),
            0.6f, 0.8f, 1f, -0.6f,
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], scores[i], 5);
        }
    }

    [Fact]
    public void ItemFeatureMatrixNormalisesEachModalityAndConcatenates()
    {
        var image = new ModalityFeatures("image", "image_feat.npy", new NpyArray(2, 2, NpyDataType.Float32, [3, 4, 0, 2]));
        var audio = new ModalityFeatures("audio", "audio_feat.npy", new NpyArray(2, 1, NpyDataType.Float32, [-5, 0]));
        InteractionDataset dataset = InteractionDataset.FromSplits("f", "/f", 1, 2, new InteractionSplit([0], [0]), new InteractionSplit([], []), new InteractionSplit([], []), [image, audio], "f");

        (float[] values, int width) = ItemFeatureMatrix.Build(dataset);

        Assert.Equal(3, width);
        Assert.Equal([0.6f, 0.8f, -1f, 0f, 1f, 0f], values);
    }

    [Fact]
    public void RandomScoresDependOnTheSeedAndPairOnlyNotOnTheBlock()
    {
        var random = new RandomScores(50, seed: 7);
        float[] together = new float[100];
        random.Score([3, 4], together);
        float[] alone = new float[50];
        random.Score([4], alone);

        Assert.Equal(together[50..], alone);
        Assert.All(together, value => Assert.InRange(value, 0f, 1f));
        Assert.True(together.Distinct().Count() > 90);
        float[] other = new float[50];
        new RandomScores(50, seed: 8).Score([4], other);
        Assert.NotEqual(alone, other);

        // On a hand-made hold-out a random ranking finds roughly what chance predicts: not a hard-coded number.
        (InteractionDataset dataset, ItemHoldout holdout) = HandMade();
        ColdStartViews views = ColdStartEvaluation.Evaluate(new RandomScores(6, seed: 1), dataset, holdout);
        Assert.Equal(1.0, views.Cold["recall@5"], 12);
    }

    private sealed class FixedScores(int itemCount, float[][] rows) : IScoreProvider
    {
        public int ItemCount { get; } = itemCount;

        public void Score(ReadOnlySpan<int> users, Span<float> scores)
        {
            for (int u = 0; u < users.Length; u++)
            {
                rows[users[u]].CopyTo(scores.Slice(u * ItemCount, ItemCount));
            }
        }
    }
}
