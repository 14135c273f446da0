using System.Globalization;
using Motor.Core.Bundles;
using Motor.Core.Datasets;

namespace Motor.Benchmarks;

/// <summary>
/// <c>synthetic-bundle --out DIR --items N [--dimension 64] [--users 1000]</c>: writes an ID bundle with N random item
/// vectors (seeded), for measuring what the service holds per item (load/run-memory.sh). Each user has 5 training items.
/// </summary>
public static class SyntheticBundle
{
    public static int Run(string[] args)
    {
        string? output = Option(args, "--out");
        if (output is null || !int.TryParse(Option(args, "--items"), out int items) || items < 5)
        {
            Console.Error.WriteLine("usage: synthetic-bundle --out DIR --items N (N >= 5) [--dimension 64] [--users 1000]");
            return 2;
        }

        int dimension = int.TryParse(Option(args, "--dimension"), out int d) ? d : 64;
        int users = int.TryParse(Option(args, "--users"), out int u) ? u : 1000;
        var random = new Random(7);
        int[] offsets = new int[users + 1];
        int[] columns = new int[users * 5];
        for (int user = 0; user < users; user++)
        {
            offsets[user + 1] = (user + 1) * 5;
            for (int slot = 0; slot < 5; slot++)
            {
                // One item from each fifth of the catalog: ascending and distinct, as the format requires.
                columns[(user * 5) + slot] = (slot * (items / 5)) + random.Next(items / 5);
            }
        }

        ModelBundleWriter.Write(output, new ModelBundleContents
        {
            Manifest = new BundleManifest
            {
                FormatVersion = BundleManifest.CurrentFormatVersion,
                Version = Path.GetFileName(Path.GetFullPath(output).TrimEnd(Path.DirectorySeparatorChar)),
                Dataset = new BundleDataset("synthetic", new string('0', 64), users, items),
                Modalities = [],
                Backbone = "bpr",
                ItemRepresentation = "id",
                EmbeddingSize = dimension,
                VectorSize = dimension,
                CreatedAt = DateTimeOffset.UnixEpoch,
                TrainerVersion = "synthetic-bundle",
                Files = [],
            },
            UserVectors = Values(random, users * dimension),
            ItemVectors = Values(random, (long)items * dimension),
            TrainingItemsByUser = new CsrMatrix(users, items, offsets, columns),
            UserExternalIds = [.. Enumerable.Range(0, users).Select(user => string.Create(CultureInfo.InvariantCulture, $"u{user}"))],
            ItemExternalIds = [.. Enumerable.Range(0, items).Select(item => string.Create(CultureInfo.InvariantCulture, $"i{item}"))],
            Codebooks = [],
            FeatureMeans = [],
        });
        Console.WriteLine($"wrote {output}: {items} items x {dimension}, {users} users");
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static float[] Values(Random random, long count)
    {
        float[] values = new float[count];
        for (long index = 0; index < count; index++)
        {
            values[index] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
