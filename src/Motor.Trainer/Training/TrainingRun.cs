using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Motor.Core.Datasets;
using Motor.Core.Evaluation;
using Motor.Core.Features;
using Motor.Core.Tokenization;
using Motor.Trainer.Backbones;
using Motor.Trainer.Devices;
using Motor.Trainer.Items;
using Motor.Trainer.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Training;

/// <summary>
/// One complete run of <c>train</c>: optional item hold-out, tokenizer (MOTOR), model, training loop, test and cold-start
/// evaluation at the best-valid epoch, and the run folder (metrics.json, history.json, config.json, model.bin, tokenizer/,
/// vectors).
/// </summary>
public static class TrainingRun
{
    public const string MetricsFileName = "metrics.json";
    public const string ConfigFileName = "config.json";
    public const string HistoryFileName = "history.json";
    public const string WeightsFileName = "model.bin";
    public const string TokenizerFolderName = "tokenizer";
    public const string UserVectorsFileName = "user_vectors.npy";
    public const string ItemVectorsFileName = "item_vectors.npy";

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    /// <summary>Trains and evaluates; writes the run folder when <paramref name="outputDirectory"/> is given.</summary>
    public static RunMetrics Execute(
        InteractionDataset dataset,
        RunConfig config,
        TorchDevice device,
        string? outputDirectory,
        Action<EpochReport>? onEpoch = null,
        Action<string>? log = null)
    {
        config.Validate();
        var total = Stopwatch.StartNew();
        if (config.Descriptor.NeedsFeatures && dataset.Modalities.Count == 0)
        {
            throw new ArgumentException($"--backbone {config.Backbone}: dataset '{dataset.Name}' has no feature modalities");
        }

        if (config.IsMotor && dataset.Modalities.Count == 0)
        {
            throw new ArgumentException($"--items motor: dataset '{dataset.Name}' has no feature modalities to tokenize");
        }

        ItemHoldout? holdout = config.ColdItems > 0 ? ItemHoldout.Create(dataset, config.ColdItems, config.Training.Seed) : null;
        InteractionDataset training = holdout?.TrainingView ?? dataset;
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
        }

        var tokenizerClock = Stopwatch.StartNew();
        TokenizerResult? tokenizer = null;
        if (config.IsMotor)
        {
            log?.Invoke($"tokenizing {training.Modalities.Count} modalities (M = {config.SubspaceCount}, K = {config.CentroidCount}{(config.UseOpq ? ", OPQ" : string.Empty)})");
            tokenizer = PqTokenizer.Fit(training, new TokenizerOptions
            {
                SubspaceCount = config.SubspaceCount,
                CentroidCount = config.CentroidCount,
                UseOpq = config.UseOpq,
                Seed = config.Training.Seed,
            }, device);
            if (outputDirectory is not null)
            {
                tokenizer.Save(Path.Combine(outputDirectory, TokenizerFolderName));
            }
        }

        tokenizerClock.Stop();

        // Seed after tokenization so the ID and MOTOR variants start from the same user table and the same sampling stream.
        TorchDevice.Seed(config.Training.Seed);
        using Backbone model = CreateModel(training, config, tokenizer?.Tokens, device.Device, tokenizer?.Codebooks);
        log?.Invoke($"{config.Descriptor.DisplayName} with {config.VariantLabel} items on {device.Name}: {CountParameters(model):N0} parameters");

        // The learning curve of the headline view, on cold-valid items only (cold-test items are never looked at while training).
        Func<ServingVectors, MetricSet>? holdoutMonitor = holdout is null
            ? null
            : vectors => ColdStartEvaluation.HybridValid(new DotProductScorer(vectors.Users, vectors.Items), holdout);
        using TrainingOutcome outcome = BackboneTrainer.Train(model, training.TrainByUser, training.ValidByUser, config.Training, device.Device, onEpoch, holdoutMonitor);

        // The serving-time calibration of items without interactions, on validation only, before any test number is read.
        List<ColdBoostPoint>? boostCurve = null;
        double servedBoost = config.ColdBoost;
        MetricSet? hybridValid = outcome.BestHoldoutValid;
        ServingVectors? reboosted = null;
        if (holdout is null && config.ChooseColdBoost)
        {
            log?.Invoke($"--cold-boost auto: no hold-out (--cold-items) to choose on; serving cold boost {config.ColdBoost}");
        }

        if (holdout is not null && config.IsMotor)
        {
            boostCurve = ColdBoostCurve(outcome.BestVectors, training, holdout, config.ColdBoost);
            if (config.ChooseColdBoost)
            {
                servedBoost = ChooseColdBoost(boostCurve);
                model.ColdBoost = (float)servedBoost;
                using (no_grad())
                {
                    reboosted = model.ComputeServingVectors();
                }

                hybridValid = null;
                log?.Invoke($"cold boost chosen on validation: {servedBoost} (overall-valid Recall@20 {boostCurve.First(point => point.Boost == servedBoost).OverallValid:F4})");
            }
        }

        using ServingVectors? ownedServed = reboosted;
        ServingVectors served = reboosted ?? outcome.BestVectors;
        var scorer = new DotProductScorer(served.Users, served.Items);
        MetricSet test = RankingEvaluator.Evaluate(scorer, training.TrainByUser, training.TestByUser);
        MetricSet coldNatural = RankingEvaluator.Evaluate(scorer, training.TrainByUser, ColdStartTargets.Natural(training));
        // The hybrid-valid metrics were measured by the monitor at the best-valid epoch (again here when the boost was chosen).
        ColdStartViews? coldStart = holdout is null ? null : ColdStartEvaluation.Evaluate(scorer, dataset, holdout, hybridValid: hybridValid);
        Dictionary<string, ColdStartViews>? baselines = null;
        double? mapperRidge = null;
        if (holdout is not null)
        {
            log?.Invoke("cold-start baselines");
            baselines = new Dictionary<string, ColdStartViews>
            {
                ["random"] = ColdStartEvaluation.Evaluate(new RandomScores(dataset.ItemCount, config.Training.Seed), dataset, holdout),
            };
            if (dataset.Modalities.Count > 0)
            {
                (float[] features, int width) = ItemFeatureMatrix.Build(dataset);
                baselines["contentKnn"] = ColdStartEvaluation.Evaluate(ContentKnn.Create(features, width, training.TrainByUser), dataset, holdout);
                if (!config.IsMotor)
                {
                    using Tensor featureTensor = tensor(features, [dataset.ItemCount, width], ScalarType.Float32, device.Device);
                    (Tensor mapped, double ridge) = ContentToEmbeddingMapper.MapHeldOutItems(outcome.BestVectors.Users, outcome.BestVectors.Items, featureTensor, holdout);
                    using (mapped)
                    {
                        baselines["mapper"] = ColdStartEvaluation.Evaluate(new DotProductScorer(outcome.BestVectors.Users, mapped), dataset, holdout);
                    }

                    mapperRidge = ridge;
                }
            }
        }

        total.Stop();
        var metrics = new RunMetrics
        {
            Backbone = config.Backbone,
            Items = config.Items,
            Variant = config.VariantLabel,
            BestEpoch = outcome.BestEpoch,
            Epochs = outcome.EpochsRun,
            Valid = outcome.BestValid.Values,
            Test = test.Values,
            ColdNatural = coldNatural.Values,
            ColdNaturalUsers = coldNatural.UserCount,
            ColdStart = coldStart,
            Baselines = baselines,
            MapperRidgeWeight = mapperRidge,
            ColdBoostCurve = boostCurve,
            ServedColdBoost = config.IsMotor ? servedBoost : null,
            SecondsPerEpoch = outcome.TrainSecondsPerEpoch + outcome.EvalSecondsPerEpoch,
            TrainSecondsPerEpoch = outcome.TrainSecondsPerEpoch,
            EvalSecondsPerEpoch = outcome.EvalSecondsPerEpoch,
            TokenizerSeconds = tokenizerClock.Elapsed.TotalSeconds,
            SecondsTotal = total.Elapsed.TotalSeconds,
            ItemParamBytes = model.Items.StorageBytes,
            IdTableBytes = (long)dataset.ItemCount * config.EmbeddingSize * sizeof(float),
            Device = device.Name,
            Config = DescribeConfig(config, dataset),
        };

        if (outputDirectory is not null)
        {
            // config.json also names the boost the run serves, which the export builds into the item encoder.
            var savedConfig = new Dictionary<string, object>(metrics.Config) { ["servedColdBoost"] = servedBoost };
            File.WriteAllText(Path.Combine(outputDirectory, ConfigFileName), JsonSerializer.Serialize(savedConfig, JsonOptions));
            File.WriteAllText(Path.Combine(outputDirectory, MetricsFileName), JsonSerializer.Serialize(metrics, JsonOptions));
            File.WriteAllText(Path.Combine(outputDirectory, HistoryFileName), JsonSerializer.Serialize(outcome.History, JsonOptions));
            model.save(Path.Combine(outputDirectory, WeightsFileName));
            WriteVectors(Path.Combine(outputDirectory, UserVectorsFileName), served.Users);
            WriteVectors(Path.Combine(outputDirectory, ItemVectorsFileName), served.Items);
        }

        return metrics;
    }

    /// <summary>The backbone with its item representation (ID table or MOTOR encoder over <paramref name="tokens"/>).</summary>
    /// <param name="codebooks">The tokenizer's codebooks, used by <see cref="TokenInitialization.ProjectedCentroids"/>; not needed to load saved weights.</param>
    public static Backbone CreateModel(InteractionDataset training, RunConfig config, TokenTable? tokens, Device device, IReadOnlyList<PqCodebook>? codebooks = null)
    {
        ItemRepresentation items;
        if (config.IsMotor)
        {
            MotorItemEncoder encoder = MotorItemEncoder.FromTokens(tokens ?? throw new ArgumentException("--items motor needs a token table"), training.Modalities.Count, config.Encoder with { Dimension = config.EmbeddingSize }, device);
            if (config.Encoder.TokenInitialization == TokenInitialization.ProjectedCentroids && codebooks is not null)
            {
                encoder.InitializeFromCentroids(codebooks, config.Training.Seed);
            }

            items = encoder;
        }
        else
        {
            items = new IdItemTable(training.ItemCount, config.EmbeddingSize, device);
        }

        var context = new BackboneContext
        {
            UserCount = training.UserCount,
            ItemCount = training.ItemCount,
            TrainByUser = training.TrainByUser,
            ItemFeatures = config.Descriptor.NeedsFeatures ? FeatureTensor(training, device) : null,
            ModalityNames = [.. training.Modalities.Select(modality => modality.Name)],
            ModalityDimensions = [.. training.Modalities.Select(modality => modality.Dimension)],
            EmbeddingSize = config.EmbeddingSize,
            RegWeight = config.EffectiveRegWeight,
            Layers = config.EffectiveLayers,
            Device = device,
            ColdRule = config.EffectiveColdRule,
            ColdDropout = config.ColdDropout,
            ColdBoost = (float)config.ColdBoost,
        };
        return config.Descriptor.Create(context, items);
    }

    /// <summary>The modalities, each preprocessed with the default row preprocessing (L2), concatenated per item.</summary>
    public static Tensor FeatureTensor(InteractionDataset dataset, Device device)
    {
        (float[] values, int width) = ItemFeatureMatrix.Build(dataset);
        return tensor(values, [dataset.ItemCount, width], ScalarType.Float32, device);
    }

    /// <summary>Factors tried by <see cref="ColdBoostCurve"/> (and by <c>--cold-boost auto</c>).</summary>
    public static readonly double[] ColdBoosts = [0.5, 1, 1.25, 1.5, 1.75, 2, 2.5, 3];

    /// <summary>
    /// <c>--cold-boost auto</c>: the boost with the highest overall-valid Recall@20, i.e. the best ranking of the whole catalog
    /// for the validation interactions of old and new items together; a tie goes to the smaller boost.
    /// </summary>
    public static double ChooseColdBoost(IReadOnlyList<ColdBoostPoint> curve)
        => curve.OrderByDescending(point => point.OverallValid).ThenBy(point => point.Boost).First().Boost;

    /// <summary>
    /// Validation only: hybrid-valid and overall-valid Recall@20 if the items without training interactions were served
    /// with each of <see cref="ColdBoosts"/> instead of <paramref name="servedBoost"/> (the rule is linear in the boost,
    /// so their rows are rescaled). Overall-valid ranks the whole catalog for warm valid and cold-valid interactions
    /// together, so it shows what a boost costs the catalog's items, not only what it gives new ones.
    /// </summary>
    public static List<ColdBoostPoint> ColdBoostCurve(ServingVectors served, InteractionDataset training, ItemHoldout holdout, double servedBoost)
    {
        bool[] isolated = new bool[training.ItemCount];
        foreach (int item in training.ColdItems)
        {
            isolated[item] = true;
        }

        CsrMatrix overallValid = CsrMatrix.FromPairs(
            training.UserCount,
            training.ItemCount,
            [.. training.Valid.Users, .. Rows(holdout.ColdValidTargets)],
            [.. training.Valid.Items, .. holdout.ColdValidTargets.Columns]);
        var curve = new List<ColdBoostPoint>();
        using Tensor isolatedRows = tensor(isolated, [training.ItemCount, 1], device: served.Items.device);
        foreach (double boost in ColdBoosts)
        {
            using var scope = NewDisposeScope();
            using Scalar factor = boost / servedBoost;
            Tensor items = where(isolatedRows, served.Items * factor, served.Items);
            var scorer = new DotProductScorer(served.Users, items);
            curve.Add(new ColdBoostPoint(
                boost,
                ColdStartEvaluation.HybridValid(scorer, holdout)["recall@20"],
                RankingEvaluator.Evaluate(scorer, training.TrainByUser, overallValid)["recall@20"]));
        }

        return curve;
    }

    private static int[] Rows(CsrMatrix matrix)
    {
        int[] rows = new int[matrix.NonZeroCount];
        for (int row = 0; row < matrix.RowCount; row++)
        {
            rows.AsSpan(matrix.RowOffsets[row], matrix.RowLength(row)).Fill(row);
        }

        return rows;
    }

    public static long CountParameters(nn.Module model) => model.parameters().Sum(parameter => parameter.numel());

    private static void WriteVectors(string path, Tensor vectors)
    {
        using Tensor host = vectors.to(CPU).contiguous();
        float[] values = host.data<float>().ToArray();
        NpyFile.Write(path, values, (int)host.shape[0], (int)host.shape[1]);
    }

    /// <summary>
    /// The metrics of a finished run in <paramref name="outputDirectory"/> when its metrics.json was written for exactly this
    /// configuration on this dataset (so <c>experiment --resume</c> can skip it); null when the folder has no metrics.json.
    /// </summary>
    /// <exception cref="InvalidDataException">metrics.json is unreadable or was written for another configuration.</exception>
    public static RunMetrics? LoadFinished(string outputDirectory, RunConfig config, InteractionDataset dataset)
    {
        string path = Path.Combine(outputDirectory, MetricsFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        RunMetrics? metrics;
        JsonObject? saved;
        try
        {
            JsonNode? root = JsonNode.Parse(File.ReadAllText(path));
            metrics = root.Deserialize<RunMetrics>(JsonOptions);
            saved = root?["config"] as JsonObject;
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{path}: not a metrics.json of this trainer ({exception.Message})", exception);
        }

        if (metrics is null || saved is null)
        {
            throw new InvalidDataException($"{path}: not a metrics.json of this trainer (no config)");
        }

        var requested = (JsonObject)JsonSerializer.SerializeToNode(DescribeConfig(config, dataset), JsonOptions)!;
        foreach (string key in requested.Select(pair => pair.Key).Union(saved.Select(pair => pair.Key)))
        {
            string wanted = requested[key]?.ToJsonString() ?? "(absent)";
            string found = saved[key]?.ToJsonString() ?? "(absent)";
            if (wanted != found)
            {
                throw new InvalidDataException($"{path}: written for another configuration ({key}: {found}, now {wanted}); remove the folder or use another --out");
            }
        }

        return metrics;
    }

    /// <summary>The <c>config</c> object of metrics.json: every setting that changes the result, and the dataset's content hash.</summary>
    public static Dictionary<string, object> DescribeConfig(RunConfig config, InteractionDataset dataset)
    {
        var values = new Dictionary<string, object>
        {
            ["dataset"] = dataset.Name,
            ["datasetHash"] = dataset.ContentHash,
            ["backbone"] = config.Backbone,
            ["items"] = config.Items,
            ["embeddingSize"] = config.EmbeddingSize,
            ["regWeight"] = config.EffectiveRegWeight,
            ["layers"] = config.EffectiveLayers,
            ["learningRate"] = config.Training.LearningRate,
            ["batchSize"] = config.Training.BatchSize,
            ["maxEpochs"] = config.Training.MaxEpochs,
            ["patience"] = config.Training.Patience,
            ["validMetric"] = config.Training.ValidMetric,
            ["seed"] = config.Training.Seed,
            ["coldItems"] = config.ColdItems,
            ["coldRule"] = config.EffectiveColdRule,
            ["coldDropout"] = config.ColdDropout,
            ["coldBoost"] = config.ChooseColdBoost ? "auto" : config.ColdBoost,
        };
        if (config.IsMotor)
        {
            values["m"] = config.SubspaceCount;
            values["k"] = config.CentroidCount;
            values["opq"] = config.UseOpq;
            values["modalities"] = dataset.Modalities.Select(modality => modality.Name).ToArray();
            values["tcn"] = config.Encoder.UseTcn;
            values["tcnOrder"] = config.Encoder.Order.ToString().ToLowerInvariant();
            values["tcnLayers"] = config.Encoder.CrossLayers;
            values["tcnBranches"] = config.Encoder.Branches.ToString().ToLowerInvariant();
            values["sharedTokenTable"] = config.Encoder.SharedTokenTable;
            values["tokenDropout"] = config.Encoder.TokenDropout;
            values["itemDropout"] = config.Encoder.ItemDropout;
            values["tokenInit"] = config.Encoder.TokenInitialization == TokenInitialization.ProjectedCentroids ? "centroids" : "xavier";
        }

        return values;
    }
}
