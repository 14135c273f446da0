using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Motor.Featurizers;
using Motor.Trainer.Featurize;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class FeaturizeSettings : CommandSettings
{
    [CommandOption("--source <DIR>")]
    [Description("The ml100k_mm folder (ml-100k/u.item, items_tmdb.csv, mmrec/, posters/), e.g. ../shared/data/ml100k_mm")]
    public string? Source { get; set; }

    [CommandOption("--out <DIR>")]
    [Description("Dataset folder to write (keep it outside the repository: MovieLens may not be redistributed)")]
    public string? Out { get; set; }

    [CommandOption("--threads <N>")]
    [Description("ONNX Runtime threads per call (0: one per core)")]
    [DefaultValue(0)]
    public int Threads { get; set; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Source))
        {
            return ValidationResult.Error("--source: required (the ml100k_mm folder)");
        }

        if (!Directory.Exists(Source))
        {
            return ValidationResult.Error($"--source: folder '{Source}' does not exist");
        }

        if (string.IsNullOrWhiteSpace(Out))
        {
            return ValidationResult.Error("--out: required (the dataset folder to write)");
        }

        return Threads < 0 ? ValidationResult.Error($"--threads: expected 0 or more, got {Threads}") : ValidationResult.Success();
    }
}

/// <summary>
/// <c>featurize --source DIR --out DIR</c>: computes text and image features of ml100k_mm's movies in process and writes a
/// dataset folder. A progress bar on a terminal; a line every 10% when the output is redirected (logs).
/// </summary>
public sealed class FeaturizeCommand(IAnsiConsole console) : Command<FeaturizeSettings>
{
    public override int Execute(CommandContext context, FeaturizeSettings settings, CancellationToken cancellationToken)
    {
        var options = new FeaturizerOptions { IntraOpThreads = settings.Threads };
        var clock = Stopwatch.StartNew();
        FeaturizeReport report;
        if (console.Profile.Capabilities.Interactive)
        {
            report = console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(progressContext =>
                {
                    var tasks = new Dictionary<string, ProgressTask>
                    {
                        ["text"] = progressContext.AddTask("text (all-MiniLM-L6-v2)", maxValue: 1),
                        ["image"] = progressContext.AddTask("posters (ResNet18)", maxValue: 1),
                    };
                    return DatasetFeaturizer.Build(settings.Source!, settings.Out!, options, new SynchronousProgress(update =>
                    {
                        ProgressTask task = tasks[update.Modality];
                        task.MaxValue = update.Total;
                        task.Value = update.Done;
                    }));
                });
        }
        else
        {
            var lastTenth = new Dictionary<string, int>();
            report = DatasetFeaturizer.Build(settings.Source!, settings.Out!, options, new SynchronousProgress(update =>
            {
                int tenth = update.Done * 10 / update.Total;
                if (!lastTenth.TryGetValue(update.Modality, out int last) || tenth > last)
                {
                    lastTenth[update.Modality] = tenth;
                    console.Profile.Out.Writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"featurize {update.Modality}: {update.Done}/{update.Total} ({clock.Elapsed.TotalSeconds:F1} s)"));
                    console.Profile.Out.Writer.Flush();
                }
            }));
        }

        var table = new Table().Title($"featurized [bold]{Markup.Escape(DatasetFeaturizer.DatasetName)}[/]").AddColumns("modality", "items", "seconds", "items/s");
        table.AddRow("text", F(report.Texts), report.TextSeconds.ToString("F1", CultureInfo.InvariantCulture), (report.Texts / report.TextSeconds).ToString("F1", CultureInfo.InvariantCulture));
        table.AddRow("image", F(report.Posters), report.ImageSeconds.ToString("F1", CultureInfo.InvariantCulture), (report.Posters / report.ImageSeconds).ToString("F1", CultureInfo.InvariantCulture));
        console.Write(table);
        console.MarkupLineInterpolated($"text from: {string.Join(", ", report.TextSources.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key} {pair.Value}"))}; {report.ItemsWithoutPoster.Count} items without a poster (mean image feature)");
        console.MarkupLineInterpolated($"total {clock.Elapsed.TotalSeconds:F1} s; wrote {Path.GetFullPath(settings.Out!)}");
        return 0;
    }

    private static string F(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Applies progress updates on the reporting thread (Progress&lt;T&gt; would post them out of order).</summary>
    private sealed class SynchronousProgress(Action<FeaturizeProgress> apply) : IProgress<FeaturizeProgress>
    {
        public void Report(FeaturizeProgress value) => apply(value);
    }
}
