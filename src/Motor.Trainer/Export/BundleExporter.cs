using System.Reflection;
using Motor.Core.Bundles;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Inference.Encoding;
using Motor.Trainer.Backbones;
using Motor.Trainer.Tokenization;
using Motor.Trainer.Training;
using Onnx;
using static TorchSharp.torch;

namespace Motor.Trainer.Export;

/// <summary>What <see cref="BundleExporter.Export"/> wrote and how the ONNX encoder compared with TorchSharp.</summary>
public sealed record ExportResult(ModelBundle Bundle, double? EncoderMaxAbsDifference, int EncoderItemsCompared);

/// <summary>
/// A run folder + its dataset -> a model bundle (ARCHITECTURE.md, "The model bundle"): the run's serving vectors, the
/// training items, ID maps, and for MOTOR the codebooks, token table and item_encoder.onnx. The encoder is checked against
/// the TorchSharp model on every catalog item before the bundle is written.
/// </summary>
public static class BundleExporter
{
    /// <summary>Largest ONNX-vs-TorchSharp difference accepted at export; above it the export fails rather than ship a wrong encoder.</summary>
    public const double EncoderTolerance = 1e-4;

    public const string EncoderDifferenceMetric = "encoder.maxAbsDifference";

    public static string TrainerVersion { get; } =
        typeof(BundleExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <param name="withoutColdTest">
    /// Leave the hold-out's cold-test items out of the bundle (runs trained with --cold-items only): the bundle is then the
    /// catalog before those items arrive, and ingesting them through the API reproduces the offline hybrid view. Item IDs
    /// stay the dataset's item indices.
    /// </param>
    public static ExportResult Export(TrainingRunDirectory run, InteractionDataset dataset, string outDirectory, bool overwrite = false, Action<string>? log = null, bool withoutColdTest = false)
    {
        RunConfig config = run.Config;
        if (!string.Equals(run.DatasetHash, dataset.ContentHash, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--data: dataset '{dataset.Name}' ({dataset.DirectoryPath}) has content hash {dataset.ContentHash[..12]}..., the run was trained on '{run.DatasetName}' with {run.DatasetHash[..Math.Min(12, run.DatasetHash.Length)]}...");
        }

        ItemHoldout? holdout = config.ColdItems > 0 ? ItemHoldout.Create(dataset, config.ColdItems, config.Training.Seed) : null;
        InteractionDataset training = holdout?.TrainingView ?? dataset;
        if (withoutColdTest && holdout is null)
        {
            throw new ArgumentException("--without-cold-test: the run was trained without --cold-items, so it has no cold-test items");
        }

        // Bundle row -> dataset item index.
        int[] kept = withoutColdTest ? [.. Enumerable.Range(0, dataset.ItemCount).Except(holdout!.ColdTestItems)] : [.. Enumerable.Range(0, dataset.ItemCount)];
        TokenizerResult? tokenizer = config.IsMotor ? TokenizerResult.Load(run.TokenizerPath) : null;
        if (tokenizer is not null && tokenizer.Tokens.ItemCount != dataset.ItemCount)
        {
            throw new DatasetFormatException(Path.Combine(run.TokenizerPath, TokenizerResult.TokensFileName), $"{tokenizer.Tokens.ItemCount} items, the dataset has {dataset.ItemCount}");
        }

        (NpyArray users, NpyArray items) = run.ReadVectors();
        if (users.Rows != dataset.UserCount || items.Rows != dataset.ItemCount || users.Columns != items.Columns)
        {
            throw new DatasetFormatException(run.DirectoryPath, $"vectors {users.Rows} x {users.Columns} (users) and {items.Rows} x {items.Columns} (items) do not fit the dataset ({dataset.UserCount} users, {dataset.ItemCount} items)");
        }

        string? encoderFile = null;
        double? difference = null;
        IReadOnlyList<string> encoderInputs = [];
        try
        {
            if (config.IsMotor)
            {
                using var scope = NewDisposeScope();
                using Backbone model = TrainingRun.CreateModel(training, config, tokenizer!.Tokens, CPU);
                model.load(run.WeightsPath);
                model.eval();
                ModelProto onnx = ItemEncoderExporter.Build(model, TrainerVersion);
                encoderInputs = ItemEncoderExporter.InputsOf(onnx);
                if (ItemEncoderExporter.VectorSizeOf(onnx) != items.Columns)
                {
                    throw new InvalidOperationException($"export: the encoder produces {ItemEncoderExporter.VectorSizeOf(onnx)} values per item, the run's vectors have {items.Columns}");
                }

                encoderFile = Path.Combine(Path.GetTempPath(), $"motor-encoder-{Guid.NewGuid():N}.onnx");
                ItemEncoderExporter.Write(onnx, encoderFile);
                (difference, float[] encoded) = CompareWithTorch(model, tokenizer.Tokens, encoderFile, encoderInputs, items.Columns, training);
                log?.Invoke($"item encoder: ONNX Runtime vs TorchSharp on all {dataset.ItemCount} items: max abs difference {difference:E2}");
                if (difference > EncoderTolerance)
                {
                    throw new InvalidOperationException($"export: ONNX encoder differs from the TorchSharp model by {difference:E2} (> {EncoderTolerance:E0}); not writing the bundle");
                }

                // The run's items without training interactions were evaluated with the run's cold-item rule: the encoder that
                // the API runs for new items must give them the same vectors, or ingested items would be served differently.
                double fromRun = MaxDifferenceOnRows(encoded, items.Values, items.Columns, training.ColdItems);
                if (fromRun > EncoderTolerance)
                {
                    throw new InvalidOperationException($"export: the item encoder's vectors of the {training.ColdItems.Length} items without training interactions differ from the run's by {fromRun:E2} (> {EncoderTolerance:E0}): the run's cold-item rule (config.json coldRule, servedColdBoost) was not rebuilt; not writing the bundle");
                }
            }

            var metrics = new Dictionary<string, double>(run.Metrics);
            if (difference is not null)
            {
                metrics[EncoderDifferenceMetric] = difference.Value;
            }

            var manifest = new BundleManifest
            {
                FormatVersion = BundleManifest.CurrentFormatVersion,
                Version = Path.GetFileName(Path.GetFullPath(outDirectory).TrimEnd(Path.DirectorySeparatorChar)),
                Dataset = new BundleDataset(dataset.Name, dataset.ContentHash, dataset.UserCount, kept.Length),
                Modalities = Modalities(dataset, tokenizer),
                Quantization = tokenizer is null ? null : new BundleQuantization(tokenizer.Options.SubspaceCount, tokenizer.Options.CentroidCount, tokenizer.Options.UseOpq),
                Backbone = config.Backbone,
                ItemRepresentation = config.Items,
                EmbeddingSize = config.EmbeddingSize,
                VectorSize = items.Columns,
                EncoderInputs = encoderInputs,

                // TrainingRun.FeatureTensor: each modality L2-normalised, no centring.
                EncoderFeatures = encoderInputs.Contains(ItemEncoderSession.FeaturesInput) ? new BundleEncoderFeatures(L2Normalize: true) : null,
                Metrics = metrics,
                CreatedAt = DateTimeOffset.UtcNow,
                TrainerVersion = TrainerVersion,
                Files = [],
            };

            string? source = encoderFile;
            var contents = new ModelBundleContents
            {
                Manifest = manifest,
                UserVectors = users.Values,
                ItemVectors = Rows(items.Values, items.Columns, kept),
                TrainingItemsByUser = Columns(training.TrainByUser, kept),
                UserExternalIds = [.. Enumerable.Range(0, dataset.UserCount).Select(Id)],
                ItemExternalIds = [.. kept.Select(Id)],
                Codebooks = tokenizer?.Codebooks ?? [],
                FeatureMeans = tokenizer?.FeatureMeans ?? [],
                ItemTokens = tokenizer is null ? null : Rows(tokenizer.Tokens, kept),
                WriteItemEncoder = source is null ? null : stream =>
                {
                    using FileStream input = File.OpenRead(source);
                    input.CopyTo(stream);
                },
            };
            ModelBundle bundle = ModelBundleWriter.Write(outDirectory, contents, overwrite);
            if (withoutColdTest)
            {
                log?.Invoke($"left the {holdout!.ColdTestItems.Length} cold-test items out of the bundle ({kept.Length} items)");
            }

            return new ExportResult(bundle, difference, difference is null ? 0 : dataset.ItemCount);
        }
        finally
        {
            if (encoderFile is not null)
            {
                File.Delete(encoderFile);
            }
        }
    }

    /// <summary>Max |ONNX Runtime − TorchSharp| over every value of every catalog item.</summary>
    private static double MaxDifferenceOnRows(float[] actual, float[] expected, int columns, IEnumerable<int> rows)
    {
        double max = 0;
        foreach (int row in rows)
        {
            for (int column = 0; column < columns; column++)
            {
                int index = (row * columns) + column;
                max = Math.Max(max, Math.Abs(expected[index] - actual[index]));
            }
        }

        return max;
    }

    /// <summary>The largest ONNX-vs-TorchSharp difference over every catalog item, and the ONNX vectors (items x vector size).</summary>
    private static (double MaxDifference, float[] Encoded) CompareWithTorch(Backbone model, Motor.Core.Tokenization.TokenTable tokens, string encoderFile, IReadOnlyList<string> inputs, int vectorSize, InteractionDataset training)
    {
        float[] expected;
        using (no_grad())
        {
            ColdServingRule rule = model.ColdServing();
            using Tensor? featureInput = rule.TakesFeatures ? TrainingRun.FeatureTensor(training, CPU) : null;
            using Tensor reference = rule.Apply(model.Items.All(), featureInput).to(CPU).contiguous();
            expected = reference.data<float>().ToArray();
        }

        long[] codes = new long[(long)tokens.ItemCount * tokens.TokensPerItem];
        for (int item = 0; item < tokens.ItemCount; item++)
        {
            tokens.CopyItem(item, codes.AsSpan(item * tokens.TokensPerItem, tokens.TokensPerItem));
        }

        float[] features = [];
        if (inputs.Contains(ItemEncoderSession.FeaturesInput))
        {
            using Tensor featureTensor = TrainingRun.FeatureTensor(training, CPU);
            features = featureTensor.data<float>().ToArray();
        }

        using ItemEncoderSession session = ItemEncoderSession.Open(encoderFile, inputs, tokens.TokensPerItem, vectorSize, ExecutionProviderPreference.Cpu);
        float[] actual = session.Encode(codes, features, tokens.ItemCount);
        return (MaxDifferenceOnRows(actual, expected, vectorSize, Enumerable.Range(0, tokens.ItemCount)), actual);
    }

    private static IReadOnlyList<BundleModality> Modalities(InteractionDataset dataset, TokenizerResult? tokenizer)
    {
        if (tokenizer is null)
        {
            // ID bundles: informational (VBPR's features are L2-normalised, never centred).
            return [.. dataset.Modalities.Select(modality => new BundleModality(modality.Name, modality.Dimension, true, false) { Featurizer = modality.Featurizer })];
        }

        // The dataset's featurizers travel with the bundle, so that the service can compute features from raw content.
        return [.. tokenizer.Codebooks.Select(codebook => new BundleModality(codebook.Modality, codebook.Dimension, tokenizer.Options.Preprocessing.L2Normalize, tokenizer.Options.Preprocessing.MeanCenter)
        {
            Featurizer = dataset.Modalities.FirstOrDefault(modality => modality.Name == codebook.Modality)?.Featurizer,
        })];
    }

    private static float[] Rows(float[] values, int width, int[] rows)
    {
        if (rows.Length * (long)width == values.Length)
        {
            return values;
        }

        float[] result = new float[(long)rows.Length * width];
        for (int row = 0; row < rows.Length; row++)
        {
            values.AsSpan(rows[row] * width, width).CopyTo(result.AsSpan(row * width, width));
        }

        return result;
    }

    private static Motor.Core.Tokenization.TokenTable Rows(Motor.Core.Tokenization.TokenTable tokens, int[] rows)
    {
        if (rows.Length == tokens.ItemCount)
        {
            return tokens;
        }

        var result = new Motor.Core.Tokenization.TokenTable(rows.Length, tokens.TokensPerItem, tokens.CentroidCount);
        ushort[] codes = new ushort[tokens.TokensPerItem];
        for (int row = 0; row < rows.Length; row++)
        {
            for (int token = 0; token < codes.Length; token++)
            {
                codes[token] = (ushort)tokens[rows[row], token];
            }

            result.SetItem(row, 0, codes);
        }

        return result;
    }

    /// <summary>The matrix restricted to the kept item columns, renumbered to bundle rows (the kept items are ascending).</summary>
    private static CsrMatrix Columns(CsrMatrix matrix, int[] kept)
    {
        if (kept.Length == matrix.ColumnCount)
        {
            return matrix;
        }

        int[] rowOf = new int[matrix.ColumnCount];
        Array.Fill(rowOf, -1);
        for (int row = 0; row < kept.Length; row++)
        {
            rowOf[kept[row]] = row;
        }

        var users = new List<int>();
        var columns = new List<int>();
        for (int user = 0; user < matrix.RowCount; user++)
        {
            foreach (int item in matrix.Row(user))
            {
                if (rowOf[item] >= 0)
                {
                    users.Add(user);
                    columns.Add(rowOf[item]);
                }
            }
        }

        return CsrMatrix.FromPairs(matrix.RowCount, kept.Length, [.. users], [.. columns]);
    }

    private static string Id(int index) => index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
