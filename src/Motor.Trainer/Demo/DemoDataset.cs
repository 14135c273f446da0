using System.Globalization;
using System.Text;
using Motor.Core.Features;

namespace Motor.Trainer.Demo;

/// <summary>Size of the generated demo dataset.</summary>
public sealed record DemoDatasetOptions
{
    public int Users { get; init; } = 600;

    public int Items { get; init; } = 400;

    /// <summary>Latent item groups: items of a group have similar features and are liked by the same users.</summary>
    public int Groups { get; init; } = 10;

    public int InteractionsPerUser { get; init; } = 16;

    public int ImageDimension { get; init; } = 64;

    public int AudioDimension { get; init; } = 32;

    /// <summary>Items that occur only in valid/test (natural cold-start items).</summary>
    public int ColdItems { get; init; } = 20;

    public int Seed { get; init; } = 999;
}

/// <summary>
/// Writes a synthetic multimodal dataset folder in the PROTOCOL.md format (<c>demo.inter</c>, <c>image_feat.npy</c>,
/// <c>audio_feat.npy</c>) with learnable structure: items belong to latent groups that shape both their features
/// (group centroid + noise, per modality) and who interacts with them (each user prefers two groups), so a MOTOR model
/// trained on it gives recommendations that visibly follow the features.
/// </summary>
public static class DemoDataset
{
    public const string Name = "demo";

    public static void Write(string directory, DemoDatasetOptions? options = null)
    {
        options ??= new DemoDatasetOptions();
        var random = new Random(options.Seed);
        Directory.CreateDirectory(directory);

        int[] groupOf = new int[options.Items];
        for (int item = 0; item < options.Items; item++)
        {
            groupOf[item] = item % options.Groups;
        }

        NpyFile.Write(Path.Combine(directory, "image_feat.npy"), Features(random, groupOf, options.Groups, options.ImageDimension), options.Items, options.ImageDimension);
        NpyFile.Write(Path.Combine(directory, "audio_feat.npy"), Features(random, groupOf, options.Groups, options.AudioDimension), options.Items, options.AudioDimension);

        // The last ColdItems items never appear in training.
        int warmItems = options.Items - options.ColdItems;
        var itemsByGroup = Enumerable.Range(0, options.Groups).Select(group => Enumerable.Range(0, options.Items).Where(item => groupOf[item] == group).ToArray()).ToArray();
        var lines = new StringBuilder("userID\titemID\tx_label\n");
        bool lastItemSeen = false;
        for (int user = 0; user < options.Users; user++)
        {
            int first = random.Next(options.Groups);
            int second = (first + 1 + random.Next(options.Groups - 1)) % options.Groups;
            var chosen = new List<int>();
            var seen = new HashSet<int>();
            for (int attempt = 0; chosen.Count < options.InteractionsPerUser && attempt < options.InteractionsPerUser * 20; attempt++)
            {
                double draw = random.NextDouble();
                int[] pool = draw < 0.6 ? itemsByGroup[first] : draw < 0.9 ? itemsByGroup[second] : itemsByGroup[random.Next(options.Groups)];
                int item = pool[random.Next(pool.Length)];
                if (seen.Add(item))
                {
                    chosen.Add(item);
                }
            }

            // Cold items only in valid/test; every user keeps at least 2 training interactions.
            lastItemSeen |= chosen.Contains(options.Items - 1);
            var warm = chosen.Where(item => item < warmItems).ToList();
            var cold = chosen.Where(item => item >= warmItems).ToList();
            int trainCount = Math.Max(2, (int)(warm.Count * 0.7));
            int validCount = Math.Max(0, (int)(warm.Count * 0.1));
            for (int index = 0; index < warm.Count; index++)
            {
                int label = index < trainCount ? 0 : index < trainCount + validCount ? 1 : 2;
                lines.Append(CultureInfo.InvariantCulture, $"{user}\t{warm[index]}\t{label}\n");
            }

            foreach (int item in cold)
            {
                lines.Append(CultureInfo.InvariantCulture, $"{user}\t{item}\t2\n");
            }
        }

        // Every item ID up to Items - 1 must occur for the folder to declare Items items.
        if (!lastItemSeen)
        {
            lines.Append(CultureInfo.InvariantCulture, $"0\t{options.Items - 1}\t2\n");
        }
        File.WriteAllText(Path.Combine(directory, $"{Name}.inter"), lines.ToString());
    }

    private static float[] Features(Random random, int[] groupOf, int groups, int dimension)
    {
        float[] centroids = new float[groups * dimension];
        for (int index = 0; index < centroids.Length; index++)
        {
            centroids[index] = (float)Gaussian(random);
        }

        float[] features = new float[groupOf.Length * dimension];
        for (int item = 0; item < groupOf.Length; item++)
        {
            for (int value = 0; value < dimension; value++)
            {
                features[(item * dimension) + value] = centroids[(groupOf[item] * dimension) + value] + (0.35f * (float)Gaussian(random));
            }
        }

        return features;
    }

    private static double Gaussian(Random random)
        => Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
}
