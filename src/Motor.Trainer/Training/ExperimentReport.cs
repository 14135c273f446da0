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
        bool holdout = grid.Concat(ablation).Any(row => row.Metrics.ColdHoldout is not null);
        bool seeded = grid.Concat(ablation).Select(row => row.Seed).Distinct().Count() > 1;
        List<Dictionary<string, object>> differences = [.. Differences(grid)];
        List<Dictionary<string, object>>? overSeeds = seeded ? SeedSummaries(grid, differences) : null;
        var markdown = new StringBuilder();
        markdown.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command}`");
        markdown.AppendLine();
        if (grid.Count > 0)
        {
            markdown.AppendLine(MainTable(grid, holdout, seeded));
            if (differences.Count > 0)
            {
                markdown.AppendLine(seeded ? "MOTOR − ID (same backbone, same seed):" : "MOTOR − ID (same backbone):");
                markdown.AppendLine();
                markdown.AppendLine(DifferenceTable(differences, holdout, seeded));
            }

            if (overSeeds is not null)
            {
                markdown.AppendLine("Over the seeds (mean ± sample standard deviation; ratio = MOTOR mean / ID mean, with the lowest and highest per-seed ratio):");
                markdown.AppendLine();
                markdown.AppendLine(SeedTable(overSeeds, holdout));
            }
        }

        if (ablation.Count > 0)
        {
            markdown.AppendLine("Ablation (MOTOR-LightGCN):");
            markdown.AppendLine();
            markdown.AppendLine(AblationTable(ablation, holdout, seeded));
        }

        File.WriteAllText(Path.Combine(directory, MarkdownFileName), markdown.ToString());
        var json = new
        {
            command,
            grid = grid.Select(row => new { run = row.Name, metrics = row.Metrics }),
            differences,
            overSeeds,
            ablation = ablation.Select(row => new { run = row.Name, metrics = row.Metrics }),
        };
        File.WriteAllText(Path.Combine(directory, JsonFileName), JsonSerializer.Serialize(json, TrainingRun.JsonOptions));
    }

    private static string MainTable(IReadOnlyList<ExperimentRow> rows, bool holdout, bool seeded)
    {
        var table = new StringBuilder();
        table.Append(seeded ? "| backbone | items | seed |" : "| backbone | items |");
        table.Append(" R@10 | R@20 | N@10 | N@20 | cold R@20 | cold N@20 |");
        table.Append(holdout ? " hold-out R@20 | hold-out N@20 |" : string.Empty);
        table.AppendLine(" best epoch | s/epoch (train + eval) | item-side bytes |");
        table.Append(seeded ? "|---|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|---|---|");
        table.Append(holdout ? "---|---|" : string.Empty);
        table.AppendLine("---|---|---|");
        foreach (ExperimentRow row in rows)
        {
            RunMetrics m = row.Metrics;
            table.Append(CultureInfo.InvariantCulture, $"| {m.Backbone} | {m.Variant} |{(seeded ? $" {row.Seed} |" : string.Empty)} {F(m.Test["recall@10"])} | {F(m.Test["recall@20"])} | {F(m.Test["ndcg@10"])} | {F(m.Test["ndcg@20"])} | {F(m.ColdNatural["recall@20"])} | {F(m.ColdNatural["ndcg@20"])} |");
            if (holdout)
            {
                table.Append(CultureInfo.InvariantCulture, $" {F(m.ColdHoldout?["recall@20"])} | {F(m.ColdHoldout?["ndcg@20"])} |");
            }

            table.AppendLine(CultureInfo.InvariantCulture, $" {m.BestEpoch} / {m.Epochs} | {m.TrainSecondsPerEpoch:F2} + {m.EvalSecondsPerEpoch:F2} | {m.ItemParamBytes:N0} |");
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
                if (motor.ColdHoldout is not null && id.ColdHoldout is not null)
                {
                    difference["coldHoldout.recall@20"] = motor.ColdHoldout["recall@20"] - id.ColdHoldout["recall@20"];
                    difference["coldHoldout.recall@20.ratio"] = id.ColdHoldout["recall@20"] > 0 ? motor.ColdHoldout["recall@20"] / id.ColdHoldout["recall@20"] : double.PositiveInfinity;
                }

                yield return difference;
            }
        }
    }

    private static string DifferenceTable(IReadOnlyList<Dictionary<string, object>> differences, bool holdout, bool seeded)
    {
        var table = new StringBuilder();
        table.Append(seeded ? "| backbone | MOTOR variant | seed |" : "| backbone | MOTOR variant |");
        table.Append(" Δ R@10 | Δ R@20 | Δ N@10 | Δ N@20 | Δ cold R@20 |");
        table.AppendLine(holdout ? " Δ hold-out R@20 | hold-out R@20 ratio | item bytes MOTOR / ID |" : " item bytes MOTOR / ID |");
        table.Append(seeded ? "|---|---|---|" : "|---|---|");
        table.AppendLine(holdout ? "---|---|---|---|---|---|---|---|" : "---|---|---|---|---|---|");
        foreach (Dictionary<string, object> d in differences)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {d["backbone"]} | {d["variant"]} |{(seeded ? $" {d["seed"]} |" : string.Empty)} {S(d["recall@10"])} | {S(d["recall@20"])} | {S(d["ndcg@10"])} | {S(d["ndcg@20"])} | {S(d["coldNatural.recall@20"])} |");
            if (holdout)
            {
                table.Append(CultureInfo.InvariantCulture, $" {(d.TryGetValue("coldHoldout.recall@20", out object? h) ? S(h) : "–")} | {(d.TryGetValue("coldHoldout.recall@20.ratio", out object? r) ? ((double)r).ToString("F2", CultureInfo.InvariantCulture) + "x" : "–")} |");
            }

            table.AppendLine(CultureInfo.InvariantCulture, $" {(double)d["itemParamBytesRatio"]:F3} |");
        }

        return table.ToString();
    }

    private static string AblationTable(IReadOnlyList<ExperimentRow> rows, bool holdout, bool seeded)
    {
        var table = new StringBuilder();
        table.Append(seeded ? "| variant | seed |" : "| variant |");
        table.Append(" R@10 | R@20 | N@20 | cold R@20 |");
        table.Append(holdout ? " hold-out R@20 |" : string.Empty);
        table.AppendLine(" best epoch | s/epoch (train + eval) | item-side bytes |");
        table.Append(seeded ? "|---|---|" : "|---|");
        table.AppendLine(holdout ? "---|---|---|---|---|---|---|---|" : "---|---|---|---|---|---|---|");
        foreach (ExperimentRow row in rows)
        {
            RunMetrics m = row.Metrics;
            table.Append(CultureInfo.InvariantCulture, $"| {m.Variant} |{(seeded ? $" {row.Seed} |" : string.Empty)} {F(m.Test["recall@10"])} | {F(m.Test["recall@20"])} | {F(m.Test["ndcg@20"])} | {F(m.ColdNatural["recall@20"])} |");
            if (holdout)
            {
                table.Append(CultureInfo.InvariantCulture, $" {F(m.ColdHoldout?["recall@20"])} |");
            }

            table.AppendLine(CultureInfo.InvariantCulture, $" {m.BestEpoch} / {m.Epochs} | {m.TrainSecondsPerEpoch:F2} + {m.EvalSecondsPerEpoch:F2} | {m.ItemParamBytes:N0} |");
        }

        return table.ToString();
    }

    /// <summary>Per backbone and variant over its seeds: test and hold-out Recall@20 / NDCG@20 means and deviations, and
    /// for MOTOR the hold-out ratio to the ID baseline of the same backbone (of the means, and per seed).</summary>
    private static List<Dictionary<string, object>> SeedSummaries(IReadOnlyList<ExperimentRow> rows, IReadOnlyList<Dictionary<string, object>> differences)
    {
        var perSeedRatios = differences
            .Where(d => d.ContainsKey("coldHoldout.recall@20.ratio"))
            .GroupBy(d => ((string)d["backbone"], (string)d["variant"]))
            .ToDictionary(group => group.Key, group => group.Select(d => (double)d["coldHoldout.recall@20.ratio"]).ToArray());
        var summaries = new List<Dictionary<string, object>>();
        foreach (IGrouping<(string Backbone, string Variant), ExperimentRow> group in rows.GroupBy(row => (row.Metrics.Backbone, row.Metrics.Variant)))
        {
            RunMetrics[] runs = [.. group.Select(row => row.Metrics)];
            var summary = new Dictionary<string, object>
            {
                ["backbone"] = group.Key.Backbone,
                ["items"] = runs[0].Items,
                ["variant"] = group.Key.Variant,
                ["seeds"] = group.Select(row => row.Seed).ToArray(),
                ["test.recall@20"] = MeanAndDeviation(runs.Select(m => m.Test["recall@20"])),
                ["test.ndcg@20"] = MeanAndDeviation(runs.Select(m => m.Test["ndcg@20"])),
            };
            if (runs.All(m => m.ColdHoldout is not null))
            {
                summary["coldHoldout.recall@20"] = MeanAndDeviation(runs.Select(m => m.ColdHoldout!["recall@20"]));
                summary["coldHoldout.ndcg@20"] = MeanAndDeviation(runs.Select(m => m.ColdHoldout!["ndcg@20"]));
            }

            summaries.Add(summary);
        }

        foreach (Dictionary<string, object> motor in summaries.Where(s => (string)s["items"] == "motor"))
        {
            Dictionary<string, object>? id = summaries.FirstOrDefault(s => (string)s["items"] == "id" && (string)s["backbone"] == (string)motor["backbone"]);
            if (id is not null && motor.TryGetValue("coldHoldout.recall@20", out object? motorHoldout) && id.TryGetValue("coldHoldout.recall@20", out object? idHoldout)
                && perSeedRatios.TryGetValue(((string)motor["backbone"], (string)motor["variant"]), out double[]? ratios))
            {
                double idMean = ((MeanDeviation)idHoldout).Mean;
                motor["coldHoldout.recall@20.ratioOfMeans"] = idMean > 0 ? ((MeanDeviation)motorHoldout).Mean / idMean : double.PositiveInfinity;
                motor["coldHoldout.recall@20.ratioMin"] = ratios.Min();
                motor["coldHoldout.recall@20.ratioMax"] = ratios.Max();
            }
        }

        return summaries;
    }

    private static string SeedTable(IReadOnlyList<Dictionary<string, object>> summaries, bool holdout)
    {
        var table = new StringBuilder();
        table.Append("| backbone | items | seeds | R@20 | N@20 |");
        table.AppendLine(holdout ? " hold-out R@20 | hold-out N@20 | hold-out R@20 ratio (per seed) |" : string.Empty);
        table.AppendLine(holdout ? "|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|");
        foreach (Dictionary<string, object> s in summaries)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {s["backbone"]} | {s["variant"]} | {((int[])s["seeds"]).Length} | {s["test.recall@20"]} | {s["test.ndcg@20"]} |");
            if (holdout)
            {
                string ratio = s.TryGetValue("coldHoldout.recall@20.ratioOfMeans", out object? r)
                    ? string.Create(CultureInfo.InvariantCulture, $"{(double)r:F2}x ({(double)s["coldHoldout.recall@20.ratioMin"]:F2}x–{(double)s["coldHoldout.recall@20.ratioMax"]:F2}x)")
                    : "–";
                table.Append(CultureInfo.InvariantCulture, $" {(s.TryGetValue("coldHoldout.recall@20", out object? h) ? h : "–")} | {(s.TryGetValue("coldHoldout.ndcg@20", out object? n) ? n : "–")} | {ratio} |");
            }

            table.AppendLine();
        }

        return table.ToString();
    }

    private static MeanDeviation MeanAndDeviation(IEnumerable<double> values)
    {
        double[] all = [.. values];
        double mean = all.Average();
        double deviation = all.Length > 1 ? Math.Sqrt(all.Sum(value => (value - mean) * (value - mean)) / (all.Length - 1)) : 0;
        return new MeanDeviation(mean, deviation);
    }

    private static string F(double? value) => value is double v ? v.ToString("F4", CultureInfo.InvariantCulture) : "–";

    private static string S(object value) => ((double)value).ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);
}

/// <summary>A mean and sample standard deviation over seeds; prints as "0.0482 ± 0.0021".</summary>
public sealed record MeanDeviation(double Mean, double Deviation)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Mean:F4} ± {Deviation:F4}");
}
