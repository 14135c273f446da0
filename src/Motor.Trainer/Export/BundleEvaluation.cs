using Motor.Core.Bundles;
using Motor.Core.Datasets;
using Motor.Core.Evaluation;
using Motor.Inference.Encoding;

namespace Motor.Trainer.Export;

/// <summary>The metrics of a bundle on its dataset, computed without the trainer's model.</summary>
internal sealed record BundleEvaluationResult
{
    public required string Bundle { get; init; }

    public required string Dataset { get; init; }

    public required string Backbone { get; init; }

    public required string Items { get; init; }

    public required IReadOnlyDictionary<string, double> Valid { get; init; }

    public required IReadOnlyDictionary<string, double> Test { get; init; }

    public required IReadOnlyDictionary<string, double> ColdNatural { get; init; }

    /// <summary>
    /// Natural cold start again, with the vectors of the items without training interactions computed as the API computes
    /// an ingested item (raw features -> codebooks -> ONNX) instead of taken from the bundle; null for ID bundles.
    /// </summary>
    public IReadOnlyDictionary<string, double>? ColdNaturalEncoded { get; init; }

    /// <summary>Items without training interactions, whose vectors came from raw features through codebooks and ONNX (MOTOR).</summary>
    public required int ItemsEncoded { get; init; }

    /// <summary>Of those, items whose re-computed tokens equal the bundle's token table.</summary>
    public required int TokensMatching { get; init; }

    /// <summary>Max |encoded − stored| over the encoded items' vectors; null for ID bundles.</summary>
    public double? EncoderMaxAbsDifference { get; init; }

    /// <summary>The run's metrics recorded in the manifest (e.g. "test.recall@20").</summary>
    public required IReadOnlyDictionary<string, double> ManifestMetrics { get; init; }

    public required string ExecutionProvider { get; init; }
}

/// <summary>
/// <c>evaluate --bundle</c>: PROTOCOL.md's full-ranking metrics from the bundle alone (Core evaluator and dot-product scores).
/// The metrics use the bundle's stored vectors, so they reproduce the run's. For MOTOR bundles the items without training
/// interactions are also served as the API serves a cold-start item (raw features -> preprocessing and PQ with the
/// bundle's codebooks -> item_encoder.onnx), compared with the stored vectors and evaluated separately: an encoder output
/// that differs in the last bits can break exact score ties between items with equal tokens differently.
/// </summary>
internal static class BundleEvaluation
{
    public static BundleEvaluationResult Evaluate(ModelBundle bundle, InteractionDataset dataset, ExecutionProviderPreference provider)
    {
        BundleManifest manifest = bundle.Manifest;
        if (dataset.UserCount != bundle.UserCount || dataset.ItemCount != bundle.ItemCount)
        {
            throw new ArgumentException($"--data: dataset '{dataset.Name}' has {dataset.UserCount} users and {dataset.ItemCount} items, the bundle {bundle.UserCount} and {bundle.ItemCount}");
        }

        if (!string.Equals(dataset.ContentHash, manifest.Dataset.ContentHash, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--data: dataset '{dataset.Name}' content hash {dataset.ContentHash[..12]}... differs from the bundle's '{manifest.Dataset.Name}' {manifest.Dataset.ContentHash[..Math.Min(12, manifest.Dataset.ContentHash.Length)]}...");
        }

        CsrMatrix training = bundle.TrainingItemsByUser;
        int[] itemsWithoutTraining = ItemsWithoutInteractions(training);
        float[] itemVectors = (float[])bundle.ItemVectors.Clone();
        bool encoded = false;
        int tokensMatching = 0;
        double? difference = null;
        string executionProvider = "none";
        if (manifest.HasItemEncoder && itemsWithoutTraining.Length > 0)
        {
            using ItemEncoderSession session = ItemEncoderSession.Open(bundle, provider);
            executionProvider = session.ExecutionProvider;
            var encoder = new ColdStartItemEncoder(bundle, session);
            EncodedItems encodedItems = encoder.Encode(RawFeatures(bundle, dataset, itemsWithoutTraining), itemsWithoutTraining.Length);
            long[] stored = new long[encodedItems.TokensPerItem];
            double max = 0;
            for (int index = 0; index < itemsWithoutTraining.Length; index++)
            {
                int item = itemsWithoutTraining[index];
                bundle.ItemTokens!.CopyItem(item, stored);
                if (encodedItems.Tokens.AsSpan(index * encodedItems.TokensPerItem, encodedItems.TokensPerItem).SequenceEqual(stored))
                {
                    tokensMatching++;
                }

                Span<float> target = itemVectors.AsSpan(item * bundle.VectorSize, bundle.VectorSize);
                ReadOnlySpan<float> vector = encodedItems.Vectors.AsSpan(index * bundle.VectorSize, bundle.VectorSize);
                for (int k = 0; k < vector.Length; k++)
                {
                    max = Math.Max(max, Math.Abs(vector[k] - target[k]));
                }

                vector.CopyTo(target);
            }

            difference = max;
            encoded = true;
        }

        var scores = new DotProductScoreProvider(bundle.UserVectors, bundle.ItemVectors, bundle.VectorSize);
        CsrMatrix coldTargets = ColdStartTargets.RestrictToItems(dataset.TestByUser, itemsWithoutTraining);
        MetricSet valid = RankingEvaluator.Evaluate(scores, training, dataset.ValidByUser);
        MetricSet test = RankingEvaluator.Evaluate(scores, training, dataset.TestByUser);
        MetricSet cold = RankingEvaluator.Evaluate(scores, training, coldTargets);
        MetricSet? coldEncoded = encoded
            ? RankingEvaluator.Evaluate(new DotProductScoreProvider(bundle.UserVectors, itemVectors, bundle.VectorSize), training, coldTargets)
            : null;
        return new BundleEvaluationResult
        {
            Bundle = bundle.DirectoryPath,
            Dataset = dataset.Name,
            Backbone = manifest.Backbone,
            Items = manifest.ItemRepresentation,
            Valid = valid.Values,
            Test = test.Values,
            ColdNatural = cold.Values,
            ColdNaturalEncoded = coldEncoded?.Values,
            ItemsEncoded = manifest.HasItemEncoder ? itemsWithoutTraining.Length : 0,
            TokensMatching = tokensMatching,
            EncoderMaxAbsDifference = difference,
            ManifestMetrics = manifest.Metrics,
            ExecutionProvider = executionProvider,
        };
    }

    private static int[] ItemsWithoutInteractions(CsrMatrix training)
    {
        bool[] seen = new bool[training.ColumnCount];
        foreach (int item in training.Columns)
        {
            seen[item] = true;
        }

        return [.. Enumerable.Range(0, training.ColumnCount).Where(item => !seen[item])];
    }

    /// <summary>The raw feature rows of <paramref name="items"/>, one array per bundle modality (matched by name).</summary>
    private static float[][] RawFeatures(ModelBundle bundle, InteractionDataset dataset, int[] items)
    {
        var result = new float[bundle.Manifest.Modalities.Count][];
        for (int index = 0; index < result.Length; index++)
        {
            BundleModality modality = bundle.Manifest.Modalities[index];
            ModalityFeatures features = dataset.Modalities.FirstOrDefault(candidate => candidate.Name == modality.Name)
                ?? throw new ArgumentException($"--data: dataset '{dataset.Name}' has no modality '{modality.Name}' that the bundle needs");
            if (features.Dimension != modality.Dimension)
            {
                throw new ArgumentException($"--data: modality '{modality.Name}' has dimension {features.Dimension}, the bundle {modality.Dimension}");
            }

            float[] rows = new float[items.Length * modality.Dimension];
            for (int row = 0; row < items.Length; row++)
            {
                features.Array.Row(items[row]).CopyTo(rows.AsSpan(row * modality.Dimension, modality.Dimension));
            }

            result[index] = rows;
        }

        return result;
    }
}
