using System.Globalization;
using System.Text;
using Motor.Core.Evaluation;

namespace Motor.Trainer.Training;

/// <summary>
/// The cold-start part of an experiment's results (PROTOCOL.md, "Cold-start evaluation"): per run the views, over the
/// seeds the mean ± sd of every model and of the four baselines with hybrid Recall@20 as the headline column, and per MOTOR
/// variant the comparison with the best baseline and with the ID model of the same backbone.
/// </summary>
public static class ColdStartReport
{
    public const string Metric = "recall@20";

    /// <summary>The views' names as they appear in results.json and the tables, headline first.</summary>
    private static readonly (string Name, Func<ColdStartViews, IReadOnlyDictionary<string, double>> View)[] s_views =
    [
        ("hybrid", views => views.Hybrid),
        ("cold", views => views.Cold),
        ("warm", views => views.Warm),
        ("overall", views => views.Overall),
        ("natural", views => views.Natural),
        ("hybridValid", views => views.HybridValid),
    ];

    /// <summary>One row of the over-seeds table: a model or a baseline and its views per seed.</summary>
    public sealed record Entry(string Name, string Backbone, string Items, string Kind, IReadOnlyDictionary<int, ColdStartViews> BySeed);

    /// <summary>The rows of the over-seeds table: every (backbone, variant) of the grid, then the baselines.</summary>
    public static List<Entry> Entries(IReadOnlyList<ExperimentRow> grid)
    {
        var entries = new List<Entry>();
        foreach (IGrouping<(string Backbone, string Variant), ExperimentRow> group in grid.Where(row => row.Metrics.ColdStart is not null).GroupBy(row => (row.Metrics.Backbone, row.Metrics.Variant)))
        {
            entries.Add(new Entry($"{group.Key.Backbone} {group.Key.Variant}", group.Key.Backbone, group.First().Metrics.Items, "model", group.ToDictionary(row => row.Seed, row => row.Metrics.ColdStart!)));
        }

        foreach (string baseline in new[] { "random", "contentKnn" })
        {
            var bySeed = new Dictionary<int, ColdStartViews>();
            foreach (ExperimentRow row in grid)
            {
                if (row.Metrics.Baselines?.TryGetValue(baseline, out ColdStartViews? views) == true)
                {
                    bySeed.TryAdd(row.Seed, views);
                }
            }

            if (bySeed.Count > 0)
            {
                entries.Add(new Entry(baseline == "random" ? "baseline: random" : "baseline: content kNN", string.Empty, string.Empty, baseline, bySeed));
            }
        }

        foreach (IGrouping<string, ExperimentRow> group in grid.Where(row => row.Metrics.Items == "id" && row.Metrics.Baselines?.ContainsKey("mapper") == true).GroupBy(row => row.Metrics.Backbone))
        {
            entries.Add(new Entry($"baseline: mapper on {group.Key}-ID", group.Key, "id", "mapper", group.ToDictionary(row => row.Seed, row => row.Metrics.Baselines!["mapper"])));
        }

        return entries;
    }

    /// <summary>results.md's cold-start sections.</summary>
    public static string Markdown(IReadOnlyList<ExperimentRow> grid, IReadOnlyList<Entry> entries, IReadOnlyList<Dictionary<string, object>> comparisons)
    {
        var markdown = new StringBuilder();
        markdown.AppendLine("Cold-start views per run (Recall@20; hybrid = cold-test items' interactions with the whole catalog ranked, the headline; cold = among cold-test items only; warm = warm test interactions among warm items; overall = all test interactions, whole catalog; natural = test interactions of items never in any training split; hybrid-valid = the hybrid view on cold-valid items, used for choices; cold boost = the factor MOTOR serves items without interactions at, configured or chosen on validation by --cold-boost auto):");
        markdown.AppendLine();
        markdown.AppendLine("| run | seed | hybrid | cold | warm | overall | natural | hybrid-valid | warm valid | cold boost | best epoch |");
        markdown.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (ExperimentRow row in grid.Where(row => row.Metrics.ColdStart is not null))
        {
            ColdStartViews v = row.Metrics.ColdStart!;
            markdown.AppendLine(CultureInfo.InvariantCulture, $"| {row.Metrics.Backbone} {row.Metrics.Variant} | {row.Seed} | **{F(v.Hybrid[Metric])}** | {F(v.Cold[Metric])} | {F(v.Warm[Metric])} | {F(v.Overall[Metric])} | {F(v.Natural[Metric])} | {F(v.HybridValid[Metric])} | {F(row.Metrics.Valid[Metric])} | {(row.Metrics.ServedColdBoost is double boost ? boost.ToString("0.##", CultureInfo.InvariantCulture) : "–")} | {row.Metrics.BestEpoch} / {row.Metrics.Epochs} |");
        }

        markdown.AppendLine();
        markdown.AppendLine("Over the seeds, models and the protocol's baselines on the same hold-outs (Recall@20, mean ± sample sd):");
        markdown.AppendLine();
        markdown.AppendLine("| model | seeds | **hybrid** | cold | warm | overall | natural | hybrid-valid |");
        markdown.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (Entry entry in entries)
        {
            markdown.Append(CultureInfo.InvariantCulture, $"| {entry.Name} | {entry.BySeed.Count} |");
            foreach ((string name, Func<ColdStartViews, IReadOnlyDictionary<string, double>> view) in s_views)
            {
                MeanDeviation value = Summarise(entry, view);
                markdown.Append(name == "hybrid" ? $" **{value}** |" : $" {value} |");
            }

            markdown.AppendLine();
        }

        if (comparisons.Count > 0)
        {
            markdown.AppendLine();
            markdown.AppendLine("MOTOR against the best baseline (hybrid Recall@20, ratio of means with the lowest and highest per-seed ratio) and against the ID model of its backbone (differences of means):");
            markdown.AppendLine();
            markdown.AppendLine("| backbone | MOTOR variant | MOTOR hybrid | best baseline | its hybrid | ratio | warm MOTOR − ID | overall MOTOR − ID | natural MOTOR − content kNN |");
            markdown.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (Dictionary<string, object> c in comparisons)
            {
                markdown.AppendLine(CultureInfo.InvariantCulture, $"| {c["backbone"]} | {c["variant"]} | {c["motorHybrid"]} | {c["bestBaseline"]} | {c["bestBaselineHybrid"]} | {(double)c["ratioOfMeans"]:F2}x ({(double)c["ratioMin"]:F2}x–{(double)c["ratioMax"]:F2}x) | {S(c.GetValueOrDefault("warmMinusId"))} | {S(c.GetValueOrDefault("overallMinusId"))} | {S(c.GetValueOrDefault("naturalMinusContentKnn"))} |");
            }
        }

        string boosts = BoostTable(grid);
        if (boosts.Length > 0)
        {
            markdown.AppendLine();
            markdown.AppendLine("Serving-time cold boost on validation only (mean over seeds of hybrid-valid / overall-valid Recall@20; overall-valid ranks the whole catalog for warm valid and cold-valid interactions together; the runs above are served at the boost of their \"cold boost\" column):");
            markdown.AppendLine();
            markdown.Append(boosts);
        }

        return markdown.ToString();
    }

    /// <summary>The validation curves of <see cref="TrainingRun.ColdBoostCurve"/>, averaged over the seeds of each MOTOR variant.</summary>
    private static string BoostTable(IReadOnlyList<ExperimentRow> grid)
    {
        var groups = grid.Where(row => row.Metrics.ColdBoostCurve is not null).GroupBy(row => $"{row.Metrics.Backbone} {row.Metrics.Variant}").ToList();
        if (groups.Count == 0)
        {
            return string.Empty;
        }

        double[] boosts = [.. groups[0].First().Metrics.ColdBoostCurve!.Select(point => point.Boost)];
        var table = new StringBuilder();
        table.AppendLine("| model | seeds |" + string.Concat(boosts.Select(boost => string.Create(CultureInfo.InvariantCulture, $" boost {boost} |"))));
        table.AppendLine("|---|---|" + string.Concat(boosts.Select(_ => "---|")));
        foreach (IGrouping<string, ExperimentRow> group in groups)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {group.Key} | {group.Count()} |");
            foreach (double boost in boosts)
            {
                ColdBoostPoint[] points = [.. group.Select(row => row.Metrics.ColdBoostCurve!.First(point => point.Boost == boost))];
                table.Append(CultureInfo.InvariantCulture, $" {points.Average(point => point.HybridValid):F4} / {points.Average(point => point.OverallValid):F4} |");
            }

            table.AppendLine();
        }

        return table.ToString();
    }

    /// <summary>
    /// Per MOTOR variant: its hybrid Recall@20 against the best of the baselines that apply to its backbone (random, content
    /// kNN, the mapper on that backbone's ID model, VBPR-ID), paired per seed, and its warm/overall against the ID model.
    /// </summary>
    public static List<Dictionary<string, object>> Comparisons(IReadOnlyList<Entry> entries)
    {
        var comparisons = new List<Dictionary<string, object>>();
        foreach (Entry motor in entries.Where(entry => entry.Kind == "model" && entry.Items == "motor"))
        {
            List<Entry> baselines =
            [
                .. entries.Where(entry => entry.Kind is "random" or "contentKnn"),
                .. entries.Where(entry => entry.Kind == "mapper" && entry.Backbone == motor.Backbone),
                .. entries.Where(entry => entry.Kind == "model" && entry.Backbone == "vbpr" && entry.Items == "id").Select(entry => entry with { Name = "VBPR-ID" }),
            ];
            baselines = [.. baselines.Where(baseline => motor.BySeed.Keys.All(baseline.BySeed.ContainsKey))];
            if (baselines.Count == 0)
            {
                continue;
            }

            Entry best = baselines.MaxBy(baseline => Summarise(baseline, views => views.Hybrid, motor.BySeed.Keys).Mean)!;
            MeanDeviation motorHybrid = Summarise(motor, views => views.Hybrid);
            MeanDeviation bestHybrid = Summarise(best, views => views.Hybrid, motor.BySeed.Keys);
            double[] ratios = [.. motor.BySeed.Select(pair => Ratio(pair.Value.Hybrid[Metric], best.BySeed[pair.Key].Hybrid[Metric]))];
            var comparison = new Dictionary<string, object>
            {
                ["backbone"] = motor.Backbone,
                ["variant"] = motor.Name,
                ["motorHybrid"] = motorHybrid,
                ["bestBaseline"] = best.Name,
                ["bestBaselineHybrid"] = bestHybrid,
                ["ratioOfMeans"] = Ratio(motorHybrid.Mean, bestHybrid.Mean),
                ["ratioMin"] = ratios.Min(),
                ["ratioMax"] = ratios.Max(),
            };
            Entry? id = entries.FirstOrDefault(entry => entry.Kind == "model" && entry.Items == "id" && entry.Backbone == motor.Backbone && motor.BySeed.Keys.All(entry.BySeed.ContainsKey));
            if (id is not null)
            {
                comparison["warmMinusId"] = Summarise(motor, views => views.Warm).Mean - Summarise(id, views => views.Warm, motor.BySeed.Keys).Mean;
                comparison["overallMinusId"] = Summarise(motor, views => views.Overall).Mean - Summarise(id, views => views.Overall, motor.BySeed.Keys).Mean;
            }

            Entry? knn = baselines.FirstOrDefault(entry => entry.Kind == "contentKnn");
            if (knn is not null)
            {
                comparison["naturalMinusContentKnn"] = Summarise(motor, views => views.Natural).Mean - Summarise(knn, views => views.Natural, motor.BySeed.Keys).Mean;
            }

            comparisons.Add(comparison);
        }

        return comparisons;
    }

    /// <summary>results.json's over-seeds object of each entry: view name -> mean ± sd of Recall@20.</summary>
    public static object Json(Entry entry) => new
    {
        name = entry.Name,
        seeds = entry.BySeed.Keys.Order().ToArray(),
        recallAt20 = s_views.ToDictionary(view => view.Name, view => Summarise(entry, view.View)),
    };

    private static MeanDeviation Summarise(Entry entry, Func<ColdStartViews, IReadOnlyDictionary<string, double>> view, IEnumerable<int>? seeds = null)
        => MeanDeviation.Of((seeds ?? entry.BySeed.Keys).Select(seed => view(entry.BySeed[seed])[Metric]));

    private static double Ratio(double value, double baseline) => baseline > 0 ? value / baseline : double.PositiveInfinity;

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    private static string S(object? value) => value is double v ? v.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture) : "–";
}
