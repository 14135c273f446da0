using System.Text.Json;
using Motor.Core.Evaluation;
using Motor.Trainer.Training;

namespace Motor.Trainer.Tests.Training;

public sealed class ExperimentReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("motor-report-").FullName;

    [Fact]
    public void SeveralSeedsPairMotorWithTheIdRunOfTheSameSeedAndSummariseMeansAndDeviations()
    {
        ExperimentRow[] grid =
        [
            Row("bpr", "id", seed: 1, testRecall: 0.040, holdoutRecall: 0.02),
            Row("bpr", "motor", seed: 1, testRecall: 0.050, holdoutRecall: 0.05),
            Row("bpr", "id", seed: 2, testRecall: 0.044, holdoutRecall: 0.04),
            Row("bpr", "motor", seed: 2, testRecall: 0.046, holdoutRecall: 0.06),
        ];

        ExperimentReport.Write(_directory, "motor-trainer experiment --seeds 1,2", grid, []);

        string markdown = File.ReadAllText(Path.Combine(_directory, ExperimentReport.MarkdownFileName));
        Assert.Contains("| bpr | motor M8 K256 | 1 | +0.0050 | +0.0100 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| bpr | motor M8 K256 | 2 | +0.0010 | +0.0020 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| bpr | id | 2 | 0.0420 ± 0.0028 |", markdown, StringComparison.Ordinal);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, ExperimentReport.JsonFileName)));
        JsonElement motor = json.RootElement.GetProperty("overSeeds")[1];
        Assert.Equal("motor", motor.GetProperty("items").GetString());
        Assert.Equal(0.048, motor.GetProperty("test.recall@20").GetProperty("mean").GetDouble(), 12);
        Assert.Equal(Math.Sqrt(0.000008), motor.GetProperty("test.recall@20").GetProperty("deviation").GetDouble(), 12);
    }

    [Fact]
    public void ColdStartTablesCompareMotorWithTheBestBaselineOfItsBackbonePerSeed()
    {
        // Hybrid Recall@20 per seed (1, 2): MOTOR 0.05 / 0.06; ID 0.02 / 0.04; its mapper 0.02 / 0.03 (mean 0.025);
        // content kNN 0.02 / 0.02; random 0.001 / 0.001. Best baseline: the mapper; ratio of means 0.055 / 0.025 = 2.2,
        // per seed 2.5 and 2.0. Warm: MOTOR 0.05 / 0.046 vs ID 0.04 / 0.044 (test recall), difference of means +0.006.
        ExperimentRow[] grid =
        [
            Row("bpr", "id", seed: 1, testRecall: 0.040, holdoutRecall: 0.02, mapper: 0.02, contentKnn: 0.02),
            Row("bpr", "motor", seed: 1, testRecall: 0.050, holdoutRecall: 0.05, contentKnn: 0.02),
            Row("bpr", "id", seed: 2, testRecall: 0.044, holdoutRecall: 0.04, mapper: 0.03, contentKnn: 0.02),
            Row("bpr", "motor", seed: 2, testRecall: 0.046, holdoutRecall: 0.06, contentKnn: 0.02),
        ];

        ExperimentReport.Write(_directory, "motor-trainer experiment --seeds 1,2 --cold-items 0.2", grid, []);

        string markdown = File.ReadAllText(Path.Combine(_directory, ExperimentReport.MarkdownFileName));
        Assert.Contains("| bpr motor M8 K256 | 2 | **0.0550 ± 0.0071** |", markdown, StringComparison.Ordinal);
        Assert.Contains("| baseline: mapper on bpr-ID | 2 | **0.0250 ± 0.0071** |", markdown, StringComparison.Ordinal);
        Assert.Contains("| baseline: content kNN | 2 | **0.0200 ± 0.0000** |", markdown, StringComparison.Ordinal);
        Assert.Contains("| bpr | bpr motor M8 K256 | 0.0550 ± 0.0071 | baseline: mapper on bpr-ID | 0.0250 ± 0.0071 | 2.20x (2.00x–2.50x) | +0.0060 |", markdown, StringComparison.Ordinal);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, ExperimentReport.JsonFileName)));
        JsonElement comparison = json.RootElement.GetProperty("coldStart").GetProperty("comparisons")[0];
        Assert.Equal(2.2, comparison.GetProperty("ratioOfMeans").GetDouble(), 12);
        Assert.Equal(2.0, comparison.GetProperty("ratioMin").GetDouble(), 12);
        Assert.Equal(0.035, comparison.GetProperty("naturalMinusContentKnn").GetDouble(), 12);
    }

    [Fact]
    public void OneSeedKeepsTheTablesWithoutASeedColumnOrSummary()
    {
        ExperimentRow[] grid = [Row("bpr", "id", seed: 999, testRecall: 0.04, holdoutRecall: null), Row("bpr", "motor", seed: 999, testRecall: 0.05, holdoutRecall: null)];

        ExperimentReport.Write(_directory, "motor-trainer experiment", grid, []);

        string markdown = File.ReadAllText(Path.Combine(_directory, ExperimentReport.MarkdownFileName));
        Assert.Contains("| bpr | motor M8 K256 | 0.0250 | 0.0500 |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("Over the seeds", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("hold-out", markdown, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, ExperimentReport.JsonFileName)));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("overSeeds").ValueKind);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ExperimentRow Row(string backbone, string items, int seed, double testRecall, double? holdoutRecall, double? mapper = null, double? contentKnn = null)
    {
        var test = new Dictionary<string, double> { ["recall@10"] = testRecall / 2, ["recall@20"] = testRecall, ["ndcg@10"] = testRecall / 4, ["ndcg@20"] = testRecall / 3 };
        Dictionary<string, ColdStartViews>? baselines = null;
        if (holdoutRecall is not null)
        {
            baselines = new Dictionary<string, ColdStartViews> { ["random"] = Views(0.001, 0.001) };
            if (contentKnn is double knn)
            {
                baselines["contentKnn"] = Views(knn, knn);
            }

            if (mapper is double mapped)
            {
                baselines["mapper"] = Views(mapped, testRecall);
            }
        }

        var metrics = new RunMetrics
        {
            Backbone = backbone,
            Items = items,
            Variant = items == "id" ? "id" : "motor M8 K256",
            BestEpoch = 3,
            Epochs = 5,
            Valid = test,
            Test = test,
            ColdNatural = new Dictionary<string, double> { ["recall@20"] = 0, ["ndcg@20"] = 0 },
            ColdNaturalUsers = 0,
            ColdStart = holdoutRecall is double h ? Views(h, testRecall) : null,
            Baselines = baselines,
            SecondsPerEpoch = 1,
            TrainSecondsPerEpoch = 0.5,
            EvalSecondsPerEpoch = 0.5,
            TokenizerSeconds = 0,
            SecondsTotal = 5,
            ItemParamBytes = items == "id" ? 1000 : 500,
            IdTableBytes = 1000,
            Device = "cpu",
            Config = new Dictionary<string, object> { ["seed"] = seed },
        };
        return new ExperimentRow($"{backbone}-{items}-seed{seed}", metrics, seed);
    }

    /// <summary>Hybrid, cold and natural = <paramref name="cold"/>; warm and overall = <paramref name="warm"/>.</summary>
    private static ColdStartViews Views(double cold, double warm)
    {
        Dictionary<string, double> Of(double value) => new() { ["recall@20"] = value, ["ndcg@20"] = value / 2 };
        return new ColdStartViews
        {
            Warm = Of(warm),
            Cold = Of(cold),
            Hybrid = Of(cold),
            Natural = Of(cold),
            Overall = Of(warm),
            ColdValid = Of(cold),
            HybridValid = Of(cold),
            ColdTestUsers = 10,
            ColdTestItems = 5,
            ColdValidItems = 5,
        };
    }
}
