using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Motor.Trainer.Training;

/// <summary>One finished run of an experiment grid with the folder it wrote.</summary>
public sealed record ExperimentRow(string Name, RunMetrics Metrics);

/// <summary>Writes results.md and results.json of <c>experiment</c> from the runs' metrics (nothing else goes in).</summary>
public static class ExperimentReport
{
    public const string MarkdownFileName = "results.md";
    public const string JsonFileName = "results.json";

    public static void Write(string directory, string command, IReadOnlyList<ExperimentRow> grid, IReadOnlyList<ExperimentRow> ablation)
    {
        bool holdout = grid.Concat(ablation).Any(row => row.Metrics.ColdHoldout is not null);
        var markdown = new StringBuilder();
        markdown.AppendLine(CultureInfo.InvariantCulture, $"Command: `{command}`");
        markdown.AppendLine();
        if (grid.Count > 0)
        {
            markdown.AppendLine(MainTable(grid, holdout));
            string differences = DifferenceTable(grid, holdout);
            if (differences.Length > 0)
            {
                markdown.AppendLine("MOTOR − ID (same backbone):");
                markdown.AppendLine();
                markdown.AppendLine(differences);
            }
        }

        if (ablation.Count > 0)
        {
            markdown.AppendLine("Ablation (MOTOR-LightGCN):");
            markdown.AppendLine();
            markdown.AppendLine(AblationTable(ablation, holdout));
        }

        File.WriteAllText(Path.Combine(directory, MarkdownFileName), markdown.ToString());
        var json = new
        {
            command,
            grid = grid.Select(row => new { run = row.Name, metrics = row.Metrics }),
            differences = Differences(grid),
            ablation = ablation.Select(row => new { run = row.Name, metrics = row.Metrics }),
        };
        File.WriteAllText(Path.Combine(directory, JsonFileName), JsonSerializer.Serialize(json, TrainingRun.JsonOptions));
    }

    private static string MainTable(IReadOnlyList<ExperimentRow> rows, bool holdout)
    {
        var table = new StringBuilder();
        table.Append("| backbone | items | R@10 | R@20 | N@10 | N@20 | cold R@20 | cold N@20 |");
        table.Append(holdout ? " hold-out R@20 | hold-out N@20 |" : string.Empty);
        table.AppendLine(" best epoch | s/epoch (train + eval) | item-side bytes |");
        table.Append("|---|---|---|---|---|---|---|---|");
        table.Append(holdout ? "---|---|" : string.Empty);
        table.AppendLine("---|---|---|");
        foreach (ExperimentRow row in rows)
        {
            RunMetrics m = row.Metrics;
            table.Append(CultureInfo.InvariantCulture, $"| {m.Backbone} | {m.Variant} | {F(m.Test["recall@10"])} | {F(m.Test["recall@20"])} | {F(m.Test["ndcg@10"])} | {F(m.Test["ndcg@20"])} | {F(m.ColdNatural["recall@20"])} | {F(m.ColdNatural["ndcg@20"])} |");
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
        foreach (IGrouping<string, ExperimentRow> backbone in rows.GroupBy(row => row.Metrics.Backbone))
        {
            RunMetrics? id = backbone.FirstOrDefault(row => row.Metrics.Items == "id")?.Metrics;
            foreach (RunMetrics motor in backbone.Where(row => row.Metrics.Items == "motor").Select(row => row.Metrics))
            {
                if (id is null)
                {
                    continue;
                }

                var difference = new Dictionary<string, object>
                {
                    ["backbone"] = motor.Backbone,
                    ["variant"] = motor.Variant,
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

    private static string DifferenceTable(IReadOnlyList<ExperimentRow> rows, bool holdout)
    {
        var differences = Differences(rows).ToList();
        if (differences.Count == 0)
        {
            return string.Empty;
        }

        var table = new StringBuilder();
        table.Append("| backbone | MOTOR variant | Δ R@10 | Δ R@20 | Δ N@10 | Δ N@20 | Δ cold R@20 |");
        table.AppendLine(holdout ? " Δ hold-out R@20 | hold-out R@20 ratio | item bytes MOTOR / ID |" : " item bytes MOTOR / ID |");
        table.AppendLine(holdout ? "|---|---|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|---|---|");
        foreach (Dictionary<string, object> d in differences)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {d["backbone"]} | {d["variant"]} | {S(d["recall@10"])} | {S(d["recall@20"])} | {S(d["ndcg@10"])} | {S(d["ndcg@20"])} | {S(d["coldNatural.recall@20"])} |");
            if (holdout)
            {
                table.Append(CultureInfo.InvariantCulture, $" {(d.TryGetValue("coldHoldout.recall@20", out object? h) ? S(h) : "–")} | {(d.TryGetValue("coldHoldout.recall@20.ratio", out object? r) ? ((double)r).ToString("F2", CultureInfo.InvariantCulture) + "x" : "–")} |");
            }

            table.AppendLine(CultureInfo.InvariantCulture, $" {(double)d["itemParamBytesRatio"]:F3} |");
        }

        return table.ToString();
    }

    private static string AblationTable(IReadOnlyList<ExperimentRow> rows, bool holdout)
    {
        var table = new StringBuilder();
        table.Append("| variant | R@10 | R@20 | N@20 | cold R@20 |");
        table.Append(holdout ? " hold-out R@20 |" : string.Empty);
        table.AppendLine(" best epoch | s/epoch (train + eval) | item-side bytes |");
        table.AppendLine(holdout ? "|---|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|---|---|");
        foreach (ExperimentRow row in rows)
        {
            RunMetrics m = row.Metrics;
            table.Append(CultureInfo.InvariantCulture, $"| {m.Variant} | {F(m.Test["recall@10"])} | {F(m.Test["recall@20"])} | {F(m.Test["ndcg@20"])} | {F(m.ColdNatural["recall@20"])} |");
            if (holdout)
            {
                table.Append(CultureInfo.InvariantCulture, $" {F(m.ColdHoldout?["recall@20"])} |");
            }

            table.AppendLine(CultureInfo.InvariantCulture, $" {m.BestEpoch} / {m.Epochs} | {m.TrainSecondsPerEpoch:F2} + {m.EvalSecondsPerEpoch:F2} | {m.ItemParamBytes:N0} |");
        }

        return table.ToString();
    }

    private static string F(double? value) => value is double v ? v.ToString("F4", CultureInfo.InvariantCulture) : "–";

    private static string S(object value) => ((double)value).ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);
}
