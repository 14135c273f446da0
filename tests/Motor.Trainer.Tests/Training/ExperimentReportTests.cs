using System.Text.Json;
using Motor.Trainer.Training;

namespace Motor.Trainer.Tests.Training;

public sealed class ExperimentReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("motor-report-").FullName;

    [Fact]
    public void SeveralSeedsPairMotorWithTheIdRunOfTheSameSeedAndSummariseMeansAndDeviations()
    {
        // Hold-out Recall@20: ID 0.02 and 0.04, MOTOR 0.05 and 0.06 → per-seed ratios 2.5 and 1.5, ratio of means 0.055 / 0.03.
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
        Assert.Contains(" 2.50x |", markdown, StringComparison.Ordinal);
        Assert.Contains(" 1.50x |", markdown, StringComparison.Ordinal);
        Assert.Contains("| bpr | id | 2 | 0.0420 ± 0.0028 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 0.0550 ± 0.0071 | 0.0275 ± 0.0035 | 1.83x (1.50x–2.50x) |", markdown, StringComparison.Ordinal);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, ExperimentReport.JsonFileName)));
        JsonElement motor = json.RootElement.GetProperty("overSeeds")[1];
        Assert.Equal("motor", motor.GetProperty("items").GetString());
        Assert.Equal(0.055 / 0.03, motor.GetProperty("coldHoldout.recall@20.ratioOfMeans").GetDouble(), 12);
        Assert.Equal(0.048, motor.GetProperty("test.recall@20").GetProperty("mean").GetDouble(), 12);
        Assert.Equal(Math.Sqrt(0.000008), motor.GetProperty("test.recall@20").GetProperty("deviation").GetDouble(), 12);
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

    private static ExperimentRow Row(string backbone, string items, int seed, double testRecall, double? holdoutRecall)
    {
        var test = new Dictionary<string, double> { ["recall@10"] = testRecall / 2, ["recall@20"] = testRecall, ["ndcg@10"] = testRecall / 4, ["ndcg@20"] = testRecall / 3 };
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
            ColdHoldout = holdoutRecall is double h ? new Dictionary<string, double> { ["recall@20"] = h, ["ndcg@20"] = h / 2 } : null,
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
}
