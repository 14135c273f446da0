using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Motor.Trainer.Training;

/// <summary>One finished run of an experiment grid with the folder it wrote and its seed.</summary>
public sealed record ExperimentRow(string Name, RunMetrics Metrics, int Seed);

/// <summary>Writes results.md and results.json of <c>experiment</c> from the runs' metrics (nothing else goes in).</summary>
public static class ExperimentReport
{
    public const string MarkdownFileName = "results.md";
    public const string JsonFileName = "results.json";

    public static void Write(string directory, string command, IReadOnlyList<ExperimentRow> grid, IReadOnlyList<ExperimentRow> ablation)
    {
        bool seeded = grid.Concat(ablation).Select(row => row.Seed).Distinct().Count() > 1;
        List<Dictionary<string, object>> differences = [.. Differences(grid)];
        List<Dictionary<string, object>>? overSeeds = seeded ? SeedSummaries(grid) : null;
        List<ColdStartReport.Entry> coldStart = ColdStartReport.Entries(grid);
        List<Dictionary<string, object>> comparisons = ColdStartReport.Comparisons(coldStart);
        var markdown = new StringBuilder();
        markdown.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command}`");
        markdown.AppendLine();
        if (coldStart.Count > 0)
        {
            markdown.AppendLine(ColdStartReport.Markdown(grid, coldStart, comparisons));
        }

        if (grid.Count > 0)
        {
            markdown.AppendLine(MainTable(grid, seeded));
            if (differences.Count > 0)
            {
                markdown.AppendLine(seeded ? "MOTOR − ID (same backbone, same seed):" : "MOTOR − ID (same backbone):");
                markdown.AppendLine();
                markdown.AppendLine(DifferenceTable(differences, seeded));
            }

            if (overSeeds is not null)
            {
                markdown.AppendLine("Over the seeds (mean ± sample standard deviation):");
                markdown.AppendLine();
                markdown.AppendLine(SeedTable(overSeeds));
            }
        }

        if (ablation.Count > 0)
        {
            markdown.AppendLine("Ablation (MOTOR-LightGCN):");
            markdown.AppendLine();
            markdown.AppendLine(AblationTable(ablation, seeded));
        }

        File.WriteAllText(Path.Combine(directory, MarkdownFileName), markdown.ToString());
        var json = new
        {
            command,
            grid = grid.Select(row => new { run = row.Name, metrics = row.Metrics }),
            differences,
            overSeeds,
            coldStart = coldStart.Count == 0 ? null : new { overSeeds = coldStart.Select(ColdStartReport.Json), comparisons },
            ablation = ablation.Select(row => new { run = row.Name, metrics = row.Metrics }),
        };
        File.WriteAllText(Path.Combine(directory, JsonFileName), JsonSerializer.Serialize(json, TrainingRun.JsonOptions));
    }

    private static string MainTable(IReadOnlyList<ExperimentRow> rows, bool seeded)
    {
        var table = new StringBuilder();
        table.Append(seeded ? "| backbone | items | seed |" : "| backbone | items |");
        table.AppendLine(" R@10 | R@20 | N@10 | N@20 | cold R@20 | cold N@20 | best epoch | s/epoch (train + eval) | item-side bytes |");
        table.AppendLine(seeded ? "|---|---|---|---|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (ExperimentRow row in rows)
        {
            RunMetrics m = row.Metrics;
            table.AppendLine(CultureInfo.InvariantCulture, $"| {m.Backbone} | {m.Variant} |{(seeded ? $" {row.Seed} |" : string.Empty)} {F(m.Test["recall@10"])} | {F(m.Test["recall@20"])} | {F(m.Test["ndcg@10"])} | {F(m.Test["ndcg@20"])} | {F(m.ColdNatural["recall@20"])} | {F(m.ColdNatural["ndcg@20"])} | {m.BestEpoch} / {m.Epochs} | {m.TrainSecondsPerEpoch:F2} + {m.EvalSecondsPerEpoch:F2} | {m.ItemParamBytes:N0} |");
        }

        return table.ToString();
    }

    private static IEnumerable<Dictionary<string, object>> Differences(IReadOnlyList<ExperimentRow> rows)
    {
        foreach (IGrouping<(string Backbone, int Seed), ExperimentRow> cell in rows.GroupBy(row => (row.Metrics.Backbone, row.Seed)))
        {
            RunMetrics? id = cell.FirstOrDefault(row => row.Metrics.Items == "id")?.Metrics;
            foreach (RunMetrics motor in cell.Where(row => row.Metrics.Items == "motor").Select(row => row.Metrics))
            {
                if (id is null)
                {
                    continue;
                }

                var difference = new Dictionary<string, object>
                {
                    ["backbone"] = motor.Backbone,
                    ["variant"] = motor.Variant,
                    ["seed"] = cell.Key.Seed,
                    ["recall@10"] = motor.Test["recall@10"] - id.Test["recall@10"],
                    ["recall@20"] = motor.Test["recall@20"] - id.Test["recall@20"],
                    ["ndcg@10"] = motor.Test["ndcg@10"] - id.Test["ndcg@10"],
                    ["ndcg@20"] = motor.Test["ndcg@20"] - id.Test["ndcg@20"],
                    ["coldNatural.recall@20"] = motor.ColdNatural["recall@20"] - id.ColdNatural["recall@20"],
                    ["itemParamBytesRatio"] = (double)motor.ItemParamBytes / id.ItemParamBytes,
                };
                if (motor.ColdStart is not null && id.ColdStart is not null)
                {
                    difference["hybrid.recall@20"] = motor.ColdStart.Hybrid["recall@20"] - id.ColdStart.Hybrid["recall@20"];
                }

                yield return difference;
            }
        }
    }

    private static string DifferenceTable(IReadOnlyList<Dictionary<string, object>> differences, bool seeded)
    {
        bool holdout = differences.Any(d => d.ContainsKey("hybrid.recall@20"));
        var table = new StringBuilder();
        table.Append(seeded ? "| backbone | MOTOR variant | seed |" : "| backbone | MOTOR variant |");
        table.Append(" Δ R@10 | Δ R@20 | Δ N@10 | Δ N@20 | Δ cold R@20 |");
        table.AppendLine(holdout ? " Δ hybrid R@20 | item bytes MOTOR / ID |" : " item bytes MOTOR / ID |");
        table.Append(seeded ? "|---|---|---|" : "|---|---|");
        table.AppendLine(holdout ? "---|---|---|---|---|---|---|" : "---|---|---|---|---|---|");
        foreach (Dictionary<string, object> d in differences)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {d["backbone"]} | {d["variant"]} |{(seeded ? $" {d["seed"]} |" : string.Empty)} {S(d["recall@10"])} | {S(d["recall@20"])} | {S(d["ndcg@10"])} | {S(d["ndcg@20"])} | {S(d["coldNatural.recall@20"])} |");
            if (holdout)
            {
                table.Append(CultureInfo.InvariantCulture, $" {(d.TryGetValue("hybrid.recall@20", out object? h) ? S(h) : "–")} |");
            }

            table.AppendLine(CultureInfo.InvariantCulture, $" {(double)d["itemParamBytesRatio"]:F3} |");
        }

        return table.ToString();
    }

    private static string AblationTable(IReadOnlyList<ExperimentRow> rows, bool seeded)
    {
        bool holdout = rows.Any(row => row.Metrics.ColdStart is not null);
        var table = new StringBuilder();
        table.Append(seeded ? "| variant | seed |" : "| variant |");
        table.Append(" R@10 | R@20 | N@20 | cold R@20 |");
        table.Append(holdout ? " hybrid R@20 | hybrid-valid R@20 |" : string.Empty);
        table.AppendLine(" best epoch | s/epoch (train + eval) | item-side bytes |");
        table.Append(seeded ? "|---|---|" : "|---|");
        table.AppendLine(holdout ? "---|---|---|---|---|---|---|---|---|" : "---|---|---|---|---|---|---|");
        foreach (ExperimentRow row in rows)
        {
            RunMetrics m = row.Metrics;
            table.Append(CultureInfo.InvariantCulture, $"| {m.Variant} |{(seeded ? $" {row.Seed} |" : string.Empty)} {F(m.Test["recall@10"])} | {F(m.Test["recall@20"])} | {F(m.Test["ndcg@20"])} | {F(m.ColdNatural["recall@20"])} |");
            if (holdout)
            {
                table.Append(CultureInfo.InvariantCulture, $" {F(m.ColdStart?.Hybrid["recall@20"])} | {F(m.ColdStart?.HybridValid["recall@20"])} |");
            }

            table.AppendLine(CultureInfo.InvariantCulture, $" {m.BestEpoch} / {m.Epochs} | {m.TrainSecondsPerEpoch:F2} + {m.EvalSecondsPerEpoch:F2} | {m.ItemParamBytes:N0} |");
        }

        return table.ToString();
    }

    /// <summary>Per backbone and variant over its seeds: test Recall@20 / NDCG@20 means and deviations.</summary>
    private static List<Dictionary<string, object>> SeedSummaries(IReadOnlyList<ExperimentRow> rows)
    {
        var summaries = new List<Dictionary<string, object>>();
        foreach (IGrouping<(string Backbone, string Variant), ExperimentRow> group in rows.GroupBy(row => (row.Metrics.Backbone, row.Metrics.Variant)))
        {
            RunMetrics[] runs = [.. group.Select(row => row.Metrics)];
            summaries.Add(new Dictionary<string, object>
            {
                ["backbone"] = group.Key.Backbone,
                ["items"] = runs[0].Items,
                ["variant"] = group.Key.Variant,
                ["seeds"] = group.Select(row => row.Seed).ToArray(),
                ["test.recall@20"] = MeanDeviation.Of(runs.Select(m => m.Test["recall@20"])),
                ["test.ndcg@20"] = MeanDeviation.Of(runs.Select(m => m.Test["ndcg@20"])),
            });
        }

        return summaries;
    }

    private static string SeedTable(IReadOnlyList<Dictionary<string, object>> summaries)
    {
        var table = new StringBuilder();
        table.AppendLine("| backbone | items | seeds | R@20 | N@20 |");
        table.AppendLine("|---|---|---|---|---|");
        foreach (Dictionary<string, object> s in summaries)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"| {s["backbone"]} | {s["variant"]} | {((int[])s["seeds"]).Length} | {s["test.recall@20"]} | {s["test.ndcg@20"]} |");
        }

        return table.ToString();
    }

    private static string F(double? value) => value is double v ? v.ToString("F4", CultureInfo.InvariantCulture) : "–";

    private static string S(object value) => ((double)value).ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);
}

/// <summary>A mean and sample standard deviation over seeds; prints as "0.0482 ± 0.0021".</summary>
public sealed record MeanDeviation(double Mean, double Deviation)
{
    public static MeanDeviation Of(IEnumerable<double> values)
    {
        double[] all = [.. values];
        double mean = all.Average();
        double deviation = all.Length > 1 ? Math.Sqrt(all.Sum(value => (value - mean) * (value - mean)) / (all.Length - 1)) : 0;
        return new MeanDeviation(mean, deviation);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Mean:F4} ± {Deviation:F4}");
}
