using System.ComponentModel;
using Motor.Trainer.Plots;
using Motor.Trainer.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class PlotSettings : CommandSettings
{
    [CommandOption("--runs <DIR>")]
    [Description("A run folder of 'train --out' or an experiment folder of them (nested experiment folders too)")]
    public string? Runs { get; set; }

    [CommandOption("--out <DIR>")]
    [Description("Folder of frontier.png (default: --runs); learning-curve.png always goes into each run folder")]
    public string? Out { get; set; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Runs))
        {
            return ValidationResult.Error("--runs: required (a run or experiment folder)");
        }

        return Directory.Exists(Runs) ? ValidationResult.Success() : ValidationResult.Error($"--runs: folder '{Runs}' does not exist");
    }
}

/// <summary><c>plot --runs DIR [--out DIR]</c>: each run's learning curve and the experiment's warm vs hybrid frontier as PNGs.</summary>
public sealed class PlotCommand(IAnsiConsole console) : Command<PlotSettings>
{
    public override int Execute(CommandContext context, PlotSettings settings, CancellationToken cancellationToken)
    {
        string root = settings.Runs!;
        IReadOnlyList<string> runs = FrontierPlot.FindRunFolders(root);
        if (runs.Count == 0)
        {
            throw new ArgumentException($"--runs: no run folder (with {TrainingRun.MetricsFileName} or {TrainingRun.HistoryFileName}) in '{root}'");
        }

        foreach (string run in runs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string history = Path.Combine(run, TrainingRun.HistoryFileName);
            if (File.Exists(history))
            {
                string png = Path.Combine(run, LearningCurvePlot.FileName);
                LearningCurvePlot.Write(history, png);
                console.MarkupLineInterpolated($"wrote {png}");
            }
        }

        string outDirectory = settings.Out ?? root;
        Directory.CreateDirectory(outDirectory);
        string frontier = Path.Combine(outDirectory, FrontierPlot.FileName);
        int plotted = FrontierPlot.Write(root, frontier);
        // Runs without --cold-items have no hybrid metric: say so rather than writing an empty frontier.
        if (plotted > 0)
        {
            console.MarkupLineInterpolated($"wrote {frontier} ({plotted} runs)");
        }
        else
        {
            console.MarkupLineInterpolated($"[yellow]no run with coldStart.hybridValid in '{root}': {FrontierPlot.FileName} not written[/]");
        }

        return 0;
    }
}
