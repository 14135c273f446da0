using Motor.Core.Datasets;
using Motor.Core.Tokenization;

namespace Motor.Core.Evaluation;

/// <summary>
/// Random ranking, a baseline of PROTOCOL.md's cold-start views: every (user, item) pair gets a score from a seeded hash,
/// so the ranking does not depend on how users are grouped into blocks or threads.
/// </summary>
public sealed class RandomScores(int itemCount, int seed) : IScoreProvider
{
    public int ItemCount { get; } = itemCount;

    public void Score(ReadOnlySpan<int> users, Span<float> scores)
    {
        for (int u = 0; u < users.Length; u++)
        {
            Span<float> row = scores.Slice(u * ItemCount, ItemCount);
            ulong userKey = Mix(((ulong)(uint)seed << 32) | (uint)users[u]);
            for (int item = 0; item < row.Length; item++)
            {
                // 24 random bits -> [0, 1): exact in float32.
                row[item] = (Mix(userKey ^ (ulong)item) >> 40) * (1f / (1 << 24));
            }
        }
    }

    /// <summary>SplitMix64's finaliser.</summary>
    private static ulong Mix(ulong value)
    {
        value += 0x9E3779B97F4A7C15UL;
        value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
        value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
        return value ^ (value >> 31);
    }
}

/// <summary>
/// Content kNN, a baseline of PROTOCOL.md's cold-start views: a user's profile is the mean of the preprocessed features of
/// the user's training items, and an item's score is the cosine between that profile and the item's features. Warm and
/// new items are scored by the same rule, from content only.
/// </summary>
public static class ContentKnn
{
    /// <param name="itemFeatures">Items x width, each modality preprocessed (<see cref="ItemFeatureMatrix"/>).</param>
    public static DotProductScoreProvider Create(float[] itemFeatures, int width, CsrMatrix trainByUser)
    {
        int itemCount = itemFeatures.Length / width;
        float[] items = (float[])itemFeatures.Clone();
        NormalizeRows(items, width);
        float[] profiles = new float[(long)trainByUser.RowCount * width];
        for (int user = 0; user < trainByUser.RowCount; user++)
        {
            Span<float> profile = profiles.AsSpan(user * width, width);
            foreach (int item in trainByUser.Row(user))
            {
                ReadOnlySpan<float> features = itemFeatures.AsSpan(item * width, width);
                for (int i = 0; i < width; i++)
                {
                    profile[i] += features[i];
                }
            }
        }

        // The mean's 1/n does not change a cosine; normalising the profile makes the dot product one.
        NormalizeRows(profiles, width);
        return new DotProductScoreProvider(profiles, items, width);
    }

    private static void NormalizeRows(float[] rows, int width) => new FeaturePreprocessing { L2Normalize = true }.Apply(rows, width, []);
}

/// <summary>The modalities of a dataset, each preprocessed by the default rule (L2 per row), concatenated per item.</summary>
public static class ItemFeatureMatrix
{
    /// <returns>Items x width values (row-major) and the width (sum of the modalities' dimensions).</returns>
    public static (float[] Values, int Width) Build(InteractionDataset dataset)
    {
        int width = dataset.Modalities.Sum(modality => modality.Dimension);
        float[] values = new float[(long)dataset.ItemCount * width];
        var preprocessing = new FeaturePreprocessing();
        int offset = 0;
        foreach (ModalityFeatures modality in dataset.Modalities)
        {
            float[] rows = (float[])modality.Values.Clone();
            preprocessing.Apply(rows, modality.Dimension, []);
            for (int item = 0; item < dataset.ItemCount; item++)
            {
                rows.AsSpan(item * modality.Dimension, modality.Dimension).CopyTo(values.AsSpan((item * width) + offset, modality.Dimension));
            }

            offset += modality.Dimension;
        }

        return (values, width);
    }
}
