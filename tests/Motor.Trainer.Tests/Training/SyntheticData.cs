using Motor.Core.Datasets;
using Motor.Core.Features;

namespace Motor.Trainer.Tests.Training;

/// <summary>
/// A small clustered dataset: items fall into clusters with cluster-typical features and tokens, each user likes one
/// cluster. The last <see cref="ColdItemCount"/> items never occur in training.
/// </summary>
internal static class SyntheticData
{
    public const int UserCount = 80;
    public const int ItemCount = 48;
    public const int Clusters = 4;
    public const int ColdItemCount = 4;
    public const int Modalities = 2;
    public const int Subspaces = 2;
    public const int Centroids = 8;
    public const int FeatureDimension = 8;

    public static int ClusterOf(int item) => item % Clusters;

    public static InteractionDataset Create(int seed = 7)
    {
        var random = new Random(seed);
        var train = (Users: new List<int>(), Items: new List<int>());
        var valid = (Users: new List<int>(), Items: new List<int>());
        var test = (Users: new List<int>(), Items: new List<int>());
        int warmItems = ItemCount - ColdItemCount;
        for (int user = 0; user < UserCount; user++)
        {
            int cluster = user % Clusters;
            int[] liked = Enumerable.Range(0, warmItems).Where(item => ClusterOf(item) == cluster).OrderBy(_ => random.Next()).Take(7).ToArray();
            for (int index = 0; index < liked.Length; index++)
            {
                var split = index < 5 ? train : index == 5 ? valid : test;
                split.Users.Add(user);
                split.Items.Add(liked[index]);
            }

            // Cold items are only ever seen in test.
            test.Users.Add(user);
            test.Items.Add(warmItems + cluster);
        }

        var modalities = new List<ModalityFeatures>();
        for (int modality = 0; modality < Modalities; modality++)
        {
            float[] values = new float[ItemCount * FeatureDimension];
            for (int item = 0; item < ItemCount; item++)
            {
                for (int dimension = 0; dimension < FeatureDimension; dimension++)
                {
                    values[(item * FeatureDimension) + dimension] = (dimension % Clusters == ClusterOf(item) ? 1f : 0f) + (0.1f * (float)random.NextDouble());
                }
            }

            modalities.Add(new ModalityFeatures($"m{modality}", $"m{modality}_feat.npy", new NpyArray(ItemCount, FeatureDimension, NpyDataType.Float32, values)));
        }

        return InteractionDataset.FromSplits(
            "synthetic",
            "synthetic",
            UserCount,
            ItemCount,
            new InteractionSplit([.. train.Users], [.. train.Items]),
            new InteractionSplit([.. valid.Users], [.. valid.Items]),
            new InteractionSplit([.. test.Users], [.. test.Items]),
            modalities,
            "synthetic");
    }

    /// <summary>Cluster-determined tokens: every item of a cluster shares its codes (so cold items share trained tokens).</summary>
    public static long[] TokenCodes()
    {
        long[] codes = new long[ItemCount * Modalities * Subspaces];
        for (int item = 0; item < ItemCount; item++)
        {
            for (int token = 0; token < Modalities * Subspaces; token++)
            {
                codes[(item * Modalities * Subspaces) + token] = (ClusterOf(item) + token) % Centroids;
            }
        }

        return codes;
    }
}
