using System.Text.Json;
using Motor.Trainer.Training;
using ScottPlot;

namespace Motor.Trainer.Plots;

/// <summary>One run's <c>history.json</c> as a PNG: warm valid Recall@20 (and the cold-valid hybrid Recall@20 when the run
/// had <c>--cold-items</c>) per epoch, with the best epoch marked.</summary>
public static class LearningCurvePlot
{
    public const string FileName = "learning-curve.png";
    public const int Width = 800;
    public const int Height = 500;

    /// <summary>Reads <c>history.json</c>; a damaged or empty file is an <see cref="InvalidDataException"/> naming it.</summary>
    public static IReadOnlyList<EpochReport> ReadHistory(string path)
    {
        EpochReport[]? history;
        try
        {
            using FileStream stream = File.OpenRead(path);
            history = JsonSerializer.Deserialize<EpochReport[]>(stream, TrainingRun.JsonOptions);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{path}: not a valid history.json ({exception.Message})", exception);
        }

        return history is { Length: > 0 } ? history : throw new InvalidDataException($"{path}: no epochs");
    }

    /// <summary>Writes the PNG of <paramref name="historyPath"/>; the title is the run folder's name.</summary>
    public static void Write(string historyPath, string pngPath)
    {
        IReadOnlyList<EpochReport> history = ReadHistory(historyPath);
        string run = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(historyPath))) ?? historyPath;

        using var plot = new Plot();
        double[] epochs = [.. history.Select(epoch => (double)epoch.Epoch)];
        var warm = plot.Add.Scatter(epochs, [.. history.Select(epoch => epoch.ValidMetric)]);
        warm.LegendText = "warm valid Recall@20";

        // Only runs with --cold-items have the hybrid metric; older history files lack it altogether.
        EpochReport[] cold = [.. history.Where(epoch => epoch.HoldoutValidMetric is not null)];
        if (cold.Length > 0)
        {
            var hybrid = plot.Add.Scatter(cold.Select(epoch => (double)epoch.Epoch).ToArray(), cold.Select(epoch => epoch.HoldoutValidMetric!.Value).ToArray());
            hybrid.LegendText = "cold valid hybrid Recall@20";
        }

        // The last record carries the final best epoch (earlier ones only know the best so far).
        int best = history[^1].BestEpoch;
        var marker = plot.Add.VerticalLine(best);
        marker.LinePattern = LinePattern.Dashed;
        marker.Color = Colors.Gray;
        marker.LegendText = $"best epoch {best}";

        plot.Title(run);
        plot.XLabel("epoch");
        // Epochs are whole numbers; the automatic ticks of a short run would show 0.2, 0.4, ...
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.YLabel("Recall@20");
        plot.ShowLegend(Edge.Bottom);
        plot.SavePng(pngPath, Width, Height);
    }
}
