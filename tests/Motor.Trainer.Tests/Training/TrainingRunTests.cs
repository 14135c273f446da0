using System.Text.Json;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Trainer.Devices;
using Motor.Trainer.Items;
using Motor.Trainer.Training;

namespace Motor.Trainer.Tests.Training;

[Collection(TorchTestCollection.Name)]
public sealed class TrainingRunTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"motor-train-{Guid.NewGuid():N}");

    [Theory]
    [InlineData("lightgcn", "motor", 0.0)]
    [InlineData("vbpr", "id", 0.25)]
    public void RunWritesMetricsWeightsTokenizerAndServingVectors(string backbone, string items, double coldItems)
    {
        InteractionDataset dataset = SyntheticData.Create();
        RunConfig config = SmallRun(backbone, items, coldItems);

        RunMetrics metrics = TrainingRun.Execute(dataset, config, TorchDevice.CpuDevice, _directory);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, TrainingRun.MetricsFileName)));
        JsonElement root = json.RootElement;
        Assert.Equal(backbone, root.GetProperty("backbone").GetString());
        Assert.Equal(items, root.GetProperty("items").GetString());
        Assert.InRange(root.GetProperty("bestEpoch").GetInt32(), 1, root.GetProperty("epochs").GetInt32());
        foreach (string split in new[] { "valid", "test", "coldNatural" })
        {
            foreach (string metric in new[] { "recall@10", "recall@20", "ndcg@10", "ndcg@20" })
            {
                Assert.InRange(root.GetProperty(split).GetProperty(metric).GetDouble(), 0, 1);
            }
        }

        Assert.Equal(coldItems > 0, root.TryGetProperty("coldStart", out _));
        Assert.True(root.GetProperty("secondsPerEpoch").GetDouble() > 0);
        Assert.True(root.GetProperty("trainSecondsPerEpoch").GetDouble() > 0);
        Assert.True(root.GetProperty("evalSecondsPerEpoch").GetDouble() > 0);
        Assert.True(root.GetProperty("secondsTotal").GetDouble() > 0);
        Assert.Equal(metrics.ItemParamBytes, root.GetProperty("itemParamBytes").GetInt64());
        Assert.Equal(backbone, root.GetProperty("config").GetProperty("backbone").GetString());

        // One history entry per epoch; the hold-out learning curve only when there is a hold-out.
        using JsonDocument history = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, TrainingRun.HistoryFileName)));
        JsonElement[] epochs = [.. history.RootElement.EnumerateArray()];
        Assert.Equal(metrics.Epochs, epochs.Length);
        Assert.Equal(Enumerable.Range(1, epochs.Length), epochs.Select(epoch => epoch.GetProperty("epoch").GetInt32()));
        Assert.Equal(metrics.Valid["recall@20"], epochs[metrics.BestEpoch - 1].GetProperty("validMetric").GetDouble());
        foreach (JsonElement epoch in epochs)
        {
            JsonElement holdout = epoch.GetProperty("holdoutValidMetric");
            if (coldItems > 0)
            {
                Assert.InRange(holdout.GetDouble(), 0, 1);
            }
            else
            {
                Assert.Equal(JsonValueKind.Null, holdout.ValueKind);
            }
        }

        if (coldItems > 0)
        {
            // The curve's value at the best epoch is the hybrid-valid metric reported for the run, and every view and
            // baseline of the protocol is there.
            Assert.Equal(metrics.ColdStart!.HybridValid["recall@20"], epochs[metrics.BestEpoch - 1].GetProperty("holdoutValidMetric").GetDouble(), 12);
            Assert.Equal(items == "id" ? ["contentKnn", "mapper", "random"] : ["contentKnn", "random"], metrics.Baselines!.Keys.Order());
            Assert.Equal(items == "motor", metrics.ColdBoostCurve is not null);
            JsonElement views = root.GetProperty("coldStart");
            foreach (string view in new[] { "warm", "cold", "hybrid", "overall", "natural", "coldValid", "hybridValid" })
            {
                Assert.InRange(views.GetProperty(view).GetProperty("recall@20").GetDouble(), 0, 1);
            }
        }

        Assert.True(File.Exists(Path.Combine(_directory, TrainingRun.ConfigFileName)));
        Assert.True(new FileInfo(Path.Combine(_directory, TrainingRun.WeightsFileName)).Length > 0);
        Assert.Equal(items == "motor", File.Exists(Path.Combine(_directory, TrainingRun.TokenizerFolderName, "tokenizer.json")));
        NpyArray users = NpyFile.Read(Path.Combine(_directory, TrainingRun.UserVectorsFileName));
        NpyArray itemVectors = NpyFile.Read(Path.Combine(_directory, TrainingRun.ItemVectorsFileName));
        Assert.Equal(dataset.UserCount, users.Rows);
        Assert.Equal(dataset.ItemCount, itemVectors.Rows);
        Assert.Equal(users.Columns, itemVectors.Columns);
        Assert.Equal(backbone == "vbpr" ? 32 : 16, itemVectors.Columns);
    }

    [Fact]
    public void FinishedRunIsReusedOnlyForTheSameConfiguration()
    {
        InteractionDataset dataset = SyntheticData.Create();
        RunConfig small = SmallRun("bpr", "motor", coldItems: 0.25);
        RunConfig config = small with { Encoder = small.Encoder with { TokenDropout = 0.5 } };
        Assert.Null(TrainingRun.LoadFinished(_directory, config, dataset));

        RunMetrics trained = TrainingRun.Execute(dataset, config, TorchDevice.CpuDevice, _directory);
        RunMetrics reused = TrainingRun.LoadFinished(_directory, config, dataset)!;

        Assert.Equal(trained.BestEpoch, reused.BestEpoch);
        Assert.Equal(trained.Test["recall@20"], reused.Test["recall@20"]);
        Assert.Equal(trained.ColdStart!.Hybrid["recall@20"], reused.ColdStart!.Hybrid["recall@20"]);
        Assert.Equal(trained.ItemParamBytes, reused.ItemParamBytes);

        RunConfig otherDropout = config with { Encoder = config.Encoder with { TokenDropout = 0.75 } };
        InvalidDataException changed = Assert.Throws<InvalidDataException>(() => TrainingRun.LoadFinished(_directory, otherDropout, dataset));
        Assert.Contains("written for another configuration (tokenDropout: 0.5, now 0.75)", changed.Message, StringComparison.Ordinal);
        RunConfig otherSeed = config with { Training = config.Training with { Seed = 1 } };
        Assert.Contains("(seed: 999, now 1)", Assert.Throws<InvalidDataException>(() => TrainingRun.LoadFinished(_directory, otherSeed, dataset)).Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(_directory, TrainingRun.MetricsFileName), "{ not json");
        Assert.Contains("not a metrics.json of this trainer", Assert.Throws<InvalidDataException>(() => TrainingRun.LoadFinished(_directory, config, dataset)).Message, StringComparison.Ordinal);
    }

    private static RunConfig SmallRun(string backbone, string items, double coldItems) => new()
    {
        Backbone = backbone,
        Items = items,
        EmbeddingSize = 16,
        SubspaceCount = SyntheticData.Subspaces,
        CentroidCount = SyntheticData.Centroids,
        Encoder = new MotorEncoderOptions { Dimension = 16 },
        ColdItems = coldItems,
        Training = new TrainingOptions { MaxEpochs = 4, Patience = 2, BatchSize = 64, LearningRate = 1e-2 },
    };

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
