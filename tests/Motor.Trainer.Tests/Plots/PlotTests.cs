using System.Globalization;
using System.Text.Json;
using Motor.Trainer.Plots;
using Motor.Trainer.Training;
using SkiaSharp;

namespace Motor.Trainer.Tests.Plots;

public sealed class PlotTests : IDisposable
{
    private static readonly byte[] s_pngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    // Category10, ScottPlot's default palette: the first series and the first frontier groups are drawn in these.
    private static readonly SKColor[] s_palette = [SKColor.Parse("#1f77b4"), SKColor.Parse("#ff7f0e"), SKColor.Parse("#2ca02c")];

    private readonly string _root = Directory.CreateTempSubdirectory("motor-plot-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void PlotCommandWritesLearningCurvesAndFrontier()
    {
        WriteRun("bpr-id", "bpr", "id", warm: 0.050, hybrid: 0.010, withHoldout: true);
        WriteRun("bpr-motor", "bpr", "motor", warm: 0.045, hybrid: 0.030, withHoldout: true);
        WriteRun("lightgcn-motor", "lightgcn", "motor", warm: 0.060, hybrid: 0.020, withHoldout: false);
        WriteRun("old-run", "bpr", "id", warm: 0.040, hybrid: null, withHoldout: false);
        string output = Path.Combine(_root, "plots");

        (int code, string stdout, string stderr) = CliTests.Run(["plot", "--runs", _root, "--out", output]);

        Assert.True(code == 0, stderr);
        Assert.Equal(5, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line => line.StartsWith("wrote ", StringComparison.Ordinal)));
        foreach (string run in new[] { "bpr-id", "bpr-motor", "lightgcn-motor", "old-run" })
        {
            AssertPicture(Path.Combine(_root, run, LearningCurvePlot.FileName), LearningCurvePlot.Width, LearningCurvePlot.Height, s_palette[..1]);
        }

        AssertPicture(Path.Combine(output, FrontierPlot.FileName), FrontierPlot.Width, FrontierPlot.Height, s_palette);
        Assert.False(File.Exists(Path.Combine(_root, FrontierPlot.FileName)));
    }

    [Fact]
    public void FrontierSkipsRunsWithoutHybridAndFindsNestedExperiments()
    {
        WriteRun(Path.Combine("grid", "a"), "bpr", "id", warm: 0.05, hybrid: 0.01, withHoldout: true);
        WriteRun(Path.Combine("grid", "b"), "bpr", "motor", warm: 0.04, hybrid: 0.03, withHoldout: true);
        WriteRun("c", "bpr", "motor", warm: 0.03, hybrid: 0.02, withHoldout: true);
        WriteRun("d", "bpr", "id", warm: 0.06, hybrid: null, withHoldout: false);

        IReadOnlyList<FrontierPoint> points = FrontierPlot.ReadPoints(_root);

        Assert.Equal(["c", Path.Combine("grid", "a"), Path.Combine("grid", "b")], points.Select(point => point.Name));
        // c is beaten on both axes by b; a and b trade warm against hybrid.
        Assert.Equal([Path.Combine("grid", "b"), Path.Combine("grid", "a")], FrontierPlot.ParetoFrontier(points).Select(point => point.Name));
    }

    [Fact]
    public void MalformedHistoryIsOneLineNamingTheFile()
    {
        WriteRun("good", "bpr", "id", warm: 0.05, hybrid: 0.01, withHoldout: true);
        string bad = Path.Combine(_root, "bad", TrainingRun.HistoryFileName);
        Directory.CreateDirectory(Path.GetDirectoryName(bad)!);
        File.WriteAllText(bad, "[{\"epoch\": 1, \"loss\": ");

        (int code, _, string stderr) = CliTests.Run(["plot", "--runs", _root]);

        Assert.Equal(1, code);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {bad}: not a valid history.json", line);
        Assert.Throws<InvalidDataException>(() => LearningCurvePlot.ReadHistory(bad));
    }

    [Fact]
    public void MissingRunsFolderIsAnError()
    {
        string missing = Path.Combine(_root, "missing");
        (int code, _, string stderr) = CliTests.Run(["plot", "--runs", missing]);
        Assert.Equal(1, code);
        Assert.Equal($"error: --runs: folder '{missing}' does not exist", stderr.Trim());
    }

    private void WriteRun(string name, string backbone, string items, double warm, double? hybrid, bool withHoldout)
    {
        string folder = Path.Combine(_root, name);
        Directory.CreateDirectory(folder);
        const int epochs = 6;
        EpochReport[] history = [.. Enumerable.Range(1, epochs).Select(epoch => new EpochReport(
            epoch, epochs, Loss: 1.0 / epoch, ValidMetric: warm * Math.Min(epoch, 4) / 4, BestEpoch: Math.Min(epoch, 4), BestValidMetric: warm * Math.Min(epoch, 4) / 4,
            TrainSeconds: 0.5, EvalSeconds: 0.1, HoldoutValidMetric: withHoldout ? (hybrid ?? 0) * epoch / epochs : null))];
        File.WriteAllText(Path.Combine(folder, TrainingRun.HistoryFileName), JsonSerializer.Serialize(history, TrainingRun.JsonOptions));
        string coldStart = hybrid is double value
            ? string.Create(CultureInfo.InvariantCulture, $"{{\"hybridValid\": {{\"recall@20\": {value}, \"ndcg@20\": {value / 2}}}}}")
            : "null";
        File.WriteAllText(Path.Combine(folder, TrainingRun.MetricsFileName), string.Create(CultureInfo.InvariantCulture,
            $"{{\"backbone\": \"{backbone}\", \"items\": \"{items}\", \"variant\": \"{items}\", \"valid\": {{\"recall@20\": {warm}}}, \"coldStart\": {coldStart}, \"config\": {{}}}}"));
    }

    private static void AssertPicture(string path, int width, int height, SKColor[] expectedColors)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(s_pngSignature, bytes[..s_pngSignature.Length]);
        using SKBitmap bitmap = SKBitmap.Decode(bytes);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
        var colors = bitmap.Pixels.ToHashSet();
        // A blank or text-only picture has a handful of colours; curves, markers and anti-aliased text give many.
        Assert.True(colors.Count > 50, $"{path}: only {colors.Count} distinct colours");
        foreach (SKColor color in expectedColors)
        {
            Assert.Contains(color, colors);
        }
    }
}
