using System.Text.Json;
using Motor.Trainer.Training;
using ScottPlot;

namespace Motor.Trainer.Plots;

/// <summary>One run of an experiment folder on the warm vs hybrid plane (validation Recall@20).</summary>
public sealed record FrontierPoint(string Name, string Backbone, string Items, double Warm, double Hybrid);

/// <summary>
/// All runs of an experiment folder as a scatter of warm valid Recall@20 (x) against cold-start hybrid valid Recall@20 (y),
/// one colour per (backbone, items), with the Pareto frontier (no other run is better on both) drawn as a line.
/// </summary>
public static class FrontierPlot
{
    public const string FileName = "frontier.png";
    public const int Width = 900;
    public const int Height = 650;

    /// <summary>Above this many runs the per-point labels would overlap into noise.</summary>
    public const int MaxLabels = 40;

    private const string Metric = "recall@20";

    /// <summary>
    /// Folders holding a <c>metrics.json</c> or <c>history.json</c>: <paramref name="root"/> itself, its sub-folders, and
    /// theirs (an experiment folder of experiment folders), ordered by path.
    /// </summary>
    public static IReadOnlyList<string> FindRunFolders(string root)
    {
        IEnumerable<string> children = Directory.EnumerateDirectories(root);
        return [.. new[] { root }.Concat(children).Concat(children.SelectMany(Directory.EnumerateDirectories))
            .Where(folder => File.Exists(Path.Combine(folder, TrainingRun.MetricsFileName)) || File.Exists(Path.Combine(folder, TrainingRun.HistoryFileName)))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>The runs under <paramref name="root"/> whose metrics.json has <c>coldStart.hybridValid</c>; the others are skipped.</summary>
    public static IReadOnlyList<FrontierPoint> ReadPoints(string root)
    {
        var points = new List<FrontierPoint>();
        foreach (string folder in FindRunFolders(root))
        {
            string path = Path.Combine(folder, TrainingRun.MetricsFileName);
            if (!File.Exists(path))
            {
                continue;
            }

            JsonElement metrics;
            try
            {
                using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
                metrics = document.RootElement.Clone();
            }
            catch (JsonException exception)
            {
                throw new InvalidDataException($"{path}: not a valid metrics.json ({exception.Message})", exception);
            }

            if (metrics.ValueKind != JsonValueKind.Object
                || !metrics.TryGetProperty("coldStart", out JsonElement coldStart) || coldStart.ValueKind != JsonValueKind.Object
                || !coldStart.TryGetProperty("hybridValid", out JsonElement hybridValid) || hybridValid.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            string name = Path.GetRelativePath(root, folder) is "." ? Path.GetFileName(Path.GetFullPath(folder)) : Path.GetRelativePath(root, folder);
            points.Add(new FrontierPoint(name, Text(metrics, "backbone", path), Text(metrics, "items", path),
                Number(metrics, "valid", path), Number(hybridValid, null, path)));
        }

        return points;
    }

    /// <summary>The runs no other run beats on both axes, by increasing warm Recall@20.</summary>
    public static IReadOnlyList<FrontierPoint> ParetoFrontier(IReadOnlyList<FrontierPoint> points)
    {
        var frontier = new List<FrontierPoint>();
        double bestHybrid = double.NegativeInfinity;
        foreach (FrontierPoint point in points.OrderByDescending(point => point.Warm).ThenByDescending(point => point.Hybrid))
        {
            if (point.Hybrid > bestHybrid)
            {
                frontier.Add(point);
                bestHybrid = point.Hybrid;
            }
        }

        frontier.Reverse();
        return frontier;
    }

    /// <summary>Writes the PNG; returns the number of runs plotted (0: nothing had a hybrid metric, no file written).</summary>
    public static int Write(string root, string pngPath)
    {
        IReadOnlyList<FrontierPoint> points = ReadPoints(root);
        if (points.Count == 0)
        {
            return 0;
        }

        using var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int group = 0;
        foreach (IGrouping<(string Backbone, string Items), FrontierPoint> runs in points.GroupBy(point => (point.Backbone, point.Items)).OrderBy(g => g.Key))
        {
            var scatter = plot.Add.ScatterPoints(runs.Select(point => point.Warm).ToArray(), runs.Select(point => point.Hybrid).ToArray(), palette.GetColor(group++));
            scatter.MarkerSize = 9;
            scatter.LegendText = $"{runs.Key.Backbone} / {runs.Key.Items}";
        }

        IReadOnlyList<FrontierPoint> frontier = ParetoFrontier(points);
        var line = plot.Add.ScatterLine(frontier.Select(point => point.Warm).ToArray(), frontier.Select(point => point.Hybrid).ToArray(), Colors.Black.WithAlpha(0.6));
        line.LinePattern = LinePattern.Dashed;
        line.LegendText = "Pareto frontier";

        if (points.Count <= MaxLabels)
        {
            // Runs close to an already labelled run get their label below the marker instead of above, so pairs stay legible.
            double near = 0.03 * Math.Max(points.Max(p => p.Warm) - points.Min(p => p.Warm), points.Max(p => p.Hybrid) - points.Min(p => p.Hybrid));
            var above = new List<FrontierPoint>();
            foreach (FrontierPoint point in points.OrderBy(point => point.Warm))
            {
                bool crowded = above.Any(other => Math.Abs(other.Warm - point.Warm) <= 4 * near && Math.Abs(other.Hybrid - point.Hybrid) <= near);
                var label = plot.Add.Text(point.Name, point.Warm, point.Hybrid);
                label.LabelFontSize = 11;
                label.LabelAlignment = crowded ? Alignment.UpperLeft : Alignment.LowerLeft;
                label.OffsetX = 6;
                label.OffsetY = crowded ? 4 : -4;
                if (!crowded)
                {
                    above.Add(point);
                }
            }
        }

        // Room on the right for the labels of the best-warm runs, which would otherwise be cut at the frame.
        plot.Axes.Margins(left: 0.05, right: 0.2, bottom: 0.08, top: 0.08);

        plot.Title("warm vs hybrid (validation)");
        plot.XLabel("warm valid Recall@20");
        plot.YLabel("hybrid valid Recall@20 (cold items)");
        plot.ShowLegend(Edge.Right);
        plot.SavePng(pngPath, Width, Height);
        return points.Count;
    }

    private static string Text(JsonElement metrics, string property, string path)
        => metrics.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"{path}: '{property}' missing or not a string");

    /// <summary><c>metrics[section][recall@20]</c>, or <c>metrics[recall@20]</c> without a section.</summary>
    private static double Number(JsonElement metrics, string? section, string path)
    {
        JsonElement values = metrics;
        if (section is not null && !metrics.TryGetProperty(section, out values))
        {
            throw new InvalidDataException($"{path}: '{section}' missing");
        }

        return values.ValueKind == JsonValueKind.Object && values.TryGetProperty(Metric, out JsonElement value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw new InvalidDataException($"{path}: '{(section is null ? "coldStart.hybridValid" : section)}.{Metric}' missing or not a number");
    }
}
