using System.Globalization;
using System.Text;
using System.Text.Json;
using Motor.Core.Bundles;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Trainer.Devices;
using Motor.Trainer.Export;
using Motor.Trainer.Items;
using Motor.Trainer.Tests.Training;
using Motor.Trainer.Training;
using Xunit.Abstractions;

namespace Motor.Trainer.Tests.Export;

/// <summary>train -> export -> evaluate --bundle on a small synthetic dataset folder, through the CLI.</summary>
[Collection(TorchTestCollection.Name)]
public sealed class BundleRoundTripTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("motor-bundle-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("bpr", "motor")]
    [InlineData("lightgcn", "motor")]
    [InlineData("vbpr", "motor")]
    [InlineData("lightgcn", "id")]
    [InlineData("freedom", "motor")]
    [InlineData("freedom", "id")]
    public void EvaluateBundleReproducesTheRunsMetrics(string backbone, string items)
    {
        string data = WriteDatasetFolder();
        string run = Path.Combine(_directory, "run");
        RunMetrics metrics = Train(data, run, backbone, items);
        string bundle = Path.Combine(_directory, "models", "v1");

        (int exportCode, string exportOut, string exportErr) = CliTests.Run(["export", "--run", run, "--data", data, "--out", bundle]);
        Assert.True(exportCode == 0, exportErr);
        output.WriteLine(exportOut);
        (int code, string stdout, string stderr) = CliTests.Run(["evaluate", "--bundle", bundle, "--data", data, "--json", "--provider", "cpu"]);
        Assert.True(code == 0, stderr);
        JsonElement result = JsonDocument.Parse(stdout).RootElement;

        foreach ((string section, IReadOnlyDictionary<string, double> expected) in new[] { ("test", metrics.Test), ("valid", metrics.Valid), ("coldNatural", metrics.ColdNatural) })
        {
            foreach (string metric in new[] { "recall@20", "ndcg@20", "recall@10", "ndcg@10" })
            {
                double actual = result.GetProperty(section).GetProperty(metric).GetDouble();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{section} {metric}: run {expected[metric]:F6}, bundle {actual:F6}"));
                Assert.Equal(expected[metric], actual, 6);
            }
        }

        if (items == "motor")
        {
            // The items without training interactions went through raw features -> codebooks -> ONNX.
            Assert.Equal(SyntheticData.ColdItemCount, result.GetProperty("itemsEncoded").GetInt32());
            Assert.Equal(SyntheticData.ColdItemCount, result.GetProperty("tokensMatching").GetInt32());
            Assert.True(result.GetProperty("encoderMaxAbsDifference").GetDouble() < 1e-5);
            Assert.InRange(result.GetProperty("coldNaturalEncoded").GetProperty("recall@20").GetDouble(), metrics.ColdNatural["recall@20"] - 0.05, metrics.ColdNatural["recall@20"] + 0.05);
        }
        else
        {
            Assert.Equal(0, result.GetProperty("itemsEncoded").GetInt32());
            Assert.Equal(JsonValueKind.Null, result.GetProperty("coldNaturalEncoded").ValueKind);
            Assert.False(File.Exists(Path.Combine(bundle, BundleFileNames.ItemEncoder)));
        }

        ModelBundle loaded = ModelBundleReader.Load(bundle);
        Assert.Equal(metrics.Test["recall@20"], loaded.Manifest.Metrics["test.recall@20"]);
        Assert.Equal(backbone, loaded.Manifest.Backbone);
        string[] inputs = items != "motor" ? [] : backbone is "vbpr" or "freedom" ? ["tokens", "features"] : ["tokens"];
        Assert.Equal(inputs, loaded.Manifest.EncoderInputs);
    }

    [Fact]
    public void AutoColdBoostIsChosenOnValidationAndTheExportServesTheRunsRule()
    {
        string data = WriteDatasetFolder();
        string run = Path.Combine(_directory, "run");
        InteractionDataset dataset = DatasetLoader.Load(data);

        // A rule and a boost other than the defaults: the export must rebuild both from the run folder.
        RunMetrics metrics = TrainingRun.Execute(dataset, SmallConfig("lightgcn", "motor") with { ColdItems = 0.25, ColdRule = "layer-mean", ChooseColdBoost = true }, TorchDevice.CpuDevice, run);

        Assert.NotNull(metrics.ColdBoostCurve);
        Assert.Equal(TrainingRun.ColdBoosts, metrics.ColdBoostCurve!.Select(point => point.Boost));
        double best = metrics.ColdBoostCurve!.Max(point => point.OverallValid);
        Assert.Equal(metrics.ColdBoostCurve!.Where(point => point.OverallValid == best).Min(point => point.Boost), metrics.ServedColdBoost);
        JsonElement config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, TrainingRun.ConfigFileName))).RootElement;
        Assert.Equal("auto", config.GetProperty("coldBoost").GetString());
        Assert.Equal(metrics.ServedColdBoost, config.GetProperty("servedColdBoost").GetDouble());
        TrainingRunDirectory loadedRun = TrainingRunDirectory.Load(run);
        Assert.Equal("layer-mean", loadedRun.Config.ColdRule);
        Assert.Equal(metrics.ServedColdBoost, loadedRun.Config.ColdBoost);

        // The export checks that its encoder gives the items without training interactions the run's vectors, which it
        // can only do with the run's rule and boost rebuilt.
        (int exportCode, string exportOut, string exportErr) = CliTests.Run(["export", "--run", run, "--data", data, "--out", Path.Combine(_directory, "models", "v1")]);
        Assert.True(exportCode == 0, exportErr);
        output.WriteLine(exportOut);

        // A run folder whose config names another boost than the one its vectors were served with is refused at export.
        File.WriteAllText(Path.Combine(run, TrainingRun.ConfigFileName), config.ToString()!.Replace("\"servedColdBoost\": " + config.GetProperty("servedColdBoost").GetRawText(), "\"servedColdBoost\": 7", StringComparison.Ordinal));
        (int refusedCode, _, string refusedErr) = CliTests.Run(["export", "--run", run, "--data", data, "--out", Path.Combine(_directory, "models", "v2")]);
        Assert.Equal(1, refusedCode);
        Assert.Contains("items without training interactions differ from the run's", refusedErr, StringComparison.Ordinal);
    }

    [Fact]
    public void EvaluateRefusesADamagedBundleWithOneLine()
    {
        string data = WriteDatasetFolder();
        string run = Path.Combine(_directory, "run");
        Train(data, run, "bpr", "motor");
        string bundle = Path.Combine(_directory, "models", "v1");
        Assert.Equal(0, CliTests.Run(["export", "--run", run, "--data", data, "--out", bundle]).Code);
        string encoder = Path.Combine(bundle, BundleFileNames.ItemEncoder);
        byte[] bytes = File.ReadAllBytes(encoder);
        bytes[^1] ^= 0x40;
        File.WriteAllBytes(encoder, bytes);

        (int code, _, string stderr) = CliTests.Run(["evaluate", "--bundle", bundle, "--data", data]);

        Assert.Equal(1, code);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches($"^error: {System.Text.RegularExpressions.Regex.Escape(encoder)}: SHA-256 mismatch \\(manifest [0-9a-f]{{12}}\\.\\.\\., file [0-9a-f]{{12}}\\.\\.\\.\\)$", line.TrimEnd());
    }

    [Fact]
    public void ExportRefusesADifferentDataset()
    {
        string data = WriteDatasetFolder();
        string run = Path.Combine(_directory, "run");
        Train(data, run, "bpr", "id");
        string other = WriteDatasetFolder(seed: 8, name: "other");

        (int code, _, string stderr) = CliTests.Run(["export", "--run", run, "--data", other, "--out", Path.Combine(_directory, "v1")]);

        Assert.Equal(1, code);
        Assert.Contains("the run was trained on 'synthetic'", stderr);
    }

    private static RunMetrics Train(string data, string run, string backbone, string items)
        => TrainingRun.Execute(DatasetLoader.Load(data), SmallConfig(backbone, items), TorchDevice.CpuDevice, run);

    private static RunConfig SmallConfig(string backbone, string items) => new()
    {
        Backbone = backbone,
        Items = items,
        EmbeddingSize = 8,
        SubspaceCount = SyntheticData.Subspaces,
        CentroidCount = SyntheticData.Centroids,
        Encoder = new MotorEncoderOptions { Order = TcnOrder.High, CrossLayers = 1, Branches = TcnBranches.Both },
        Training = new TrainingOptions { MaxEpochs = 4, BatchSize = 64, LearningRate = 0.01, Seed = 5 },
    };

    /// <summary><see cref="SyntheticData"/> as a dataset folder (.inter + one .npy per modality).</summary>
    private string WriteDatasetFolder(int seed = 7, string name = "synthetic")
    {
        InteractionDataset dataset = SyntheticData.Create(seed);
        string folder = Path.Combine(_directory, name);
        Directory.CreateDirectory(folder);
        var inter = new StringBuilder("userID\titemID\tx_label\n");
        foreach ((InteractionSplit split, int label) in new[] { (dataset.Train, 0), (dataset.Valid, 1), (dataset.Test, 2) })
        {
            for (int index = 0; index < split.Count; index++)
            {
                inter.Append(CultureInfo.InvariantCulture, $"{split.Users[index]}\t{split.Items[index]}\t{label}\n");
            }
        }

        File.WriteAllText(Path.Combine(folder, $"{name}.inter"), inter.ToString());
        foreach (ModalityFeatures modality in dataset.Modalities)
        {
            NpyFile.Write(Path.Combine(folder, $"{modality.Name}_feat.npy"), modality.Values, dataset.ItemCount, modality.Dimension);
        }

        return folder;
    }
}
