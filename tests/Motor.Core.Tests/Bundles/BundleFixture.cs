using Motor.Core.Bundles;
using Motor.Core.Datasets;
using Motor.Core.Tokenization;

namespace Motor.Core.Tests.Bundles;

/// <summary>Small, fully determined bundles for the reader/writer tests.</summary>
internal static class BundleFixture
{
    public const int Users = 5;
    public const int Items = 7;
    public const int VectorSize = 4;
    public const int Subspaces = 2;
    public const int Centroids = 4;

    /// <summary>The bytes the Core tests use as item_encoder.onnx: Core treats the encoder as an opaque, checksummed file.</summary>
    public static readonly byte[] EncoderBytes = [0x08, 0x08, 0x12, 0x0d, 0x4d, 0x6f, 0x74, 0x6f, 0x72];

    /// <summary>A MOTOR bundle: modalities image (8-d, OPQ rotation, mean-centred) and audio (4-d).</summary>
    public static ModelBundleContents Motor(int seed = 1)
    {
        var random = new Random(seed);
        var tokens = new TokenTable(Items, 2 * Subspaces, Centroids);
        for (int item = 0; item < Items; item++)
        {
            for (int token = 0; token < tokens.TokensPerItem; token++)
            {
                tokens[item, token] = random.Next(Centroids);
            }
        }

        return new ModelBundleContents
        {
            Manifest = Manifest("motor", opq: true) with { EncoderInputs = ["tokens"] },
            UserVectors = Values(random, Users * VectorSize),
            ItemVectors = Values(random, Items * VectorSize),
            TrainingItemsByUser = Training(),
            UserExternalIds = [.. Enumerable.Range(0, Users).Select(user => $"u{user}")],
            ItemExternalIds = [.. Enumerable.Range(0, Items).Select(item => $"item-{item * 10}")],
            Codebooks =
            [
                new PqCodebook("image", 8, Subspaces, Centroids, Values(random, Subspaces * Centroids * 4), Values(random, 64)),
                new PqCodebook("audio", 4, Subspaces, Centroids, Values(random, Subspaces * Centroids * 2), Values(random, 16)),
            ],
            FeatureMeans = [Values(random, 8), null],
            ItemTokens = tokens,
            WriteItemEncoder = stream => stream.Write(EncoderBytes),
        };
    }

    /// <summary>An ID bundle: vectors, training items and IDs only.</summary>
    public static ModelBundleContents Id(int seed = 2)
    {
        var random = new Random(seed);
        return new ModelBundleContents
        {
            Manifest = Manifest("id", opq: false) with { Quantization = null, Modalities = [] },
            UserVectors = Values(random, Users * VectorSize),
            ItemVectors = Values(random, Items * VectorSize),
            TrainingItemsByUser = Training(),
            UserExternalIds = [.. Enumerable.Range(0, Users).Select(user => user.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            ItemExternalIds = [.. Enumerable.Range(0, Items).Select(item => item.ToString(System.Globalization.CultureInfo.InvariantCulture))],
        };
    }

    /// <summary>The files of a MOTOR bundle written from <see cref="Motor"/>, manifest included.</summary>
    public static TheoryData<string> MotorFiles() =>
    [
        BundleFileNames.Manifest,
        BundleFileNames.UserVectors,
        BundleFileNames.ItemVectors,
        BundleFileNames.TrainingItems,
        BundleFileNames.UserIds,
        BundleFileNames.ItemIds,
        "codebook_image.npy",
        "rotation_image.npy",
        "mean_image.npy",
        "codebook_audio.npy",
        "rotation_audio.npy",
        BundleFileNames.ItemTokens,
        BundleFileNames.ItemEncoder,
    ];

    private static BundleManifest Manifest(string representation, bool opq) => new()
    {
        FormatVersion = BundleManifest.CurrentFormatVersion,
        Version = "v1",
        Dataset = new BundleDataset("synthetic", new string('a', 64), Users, Items),
        Modalities = [new BundleModality("image", 8, true, true), new BundleModality("audio", 4, true, false)],
        Quantization = new BundleQuantization(Subspaces, Centroids, opq),
        Backbone = "lightgcn",
        ItemRepresentation = representation,
        EmbeddingSize = VectorSize,
        VectorSize = VectorSize,
        Metrics = new Dictionary<string, double> { ["recall@20"] = 0.125, ["ndcg@20"] = 0.0625 },
        CreatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        TrainerVersion = "test",
        Files = [],
    };

    private static CsrMatrix Training() => new(Users, Items, [0, 2, 3, 3, 5, 6], [0, 4, 2, 1, 6, 3]);

    private static float[] Values(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
}
