using System.ComponentModel;
using System.Globalization;
using Motor.Core.Datasets;
using Motor.Core.Evaluation;
using Motor.Trainer.Devices;
using Motor.Trainer.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class TrainSettings : ModelSettings
{
    [CommandOption("--backbone <NAME>")]
    [Description("bpr, vbpr, lightgcn or freedom")]
    [DefaultValue("bpr")]
    public string Backbone { get; set; } = "bpr";

    [CommandOption("--items <KIND>")]
    [Description("id (ID table baseline) or motor (token encoder)")]
    [DefaultValue("id")]
    public string Items { get; set; } = "id";

    [CommandOption("--export <DIR>")]
    [Description("Also write the model bundle of this run to DIR (e.g. models/v1), as the export command does")]
    public string? Export { get; set; }

    [CommandOption("--current <LINK>")]
    [Description("With --export: point this symbolic link (e.g. models/current) at the exported bundle, atomically")]
    public string? Current { get; set; }

    public override ValidationResult Validate()
    {
        ValidationResult baseResult = base.Validate();
        if (!baseResult.Successful)
        {
            return baseResult;
        }

        if (Current is not null && Export is null)
        {
            return ValidationResult.Error("--current: needs --export (the bundle the link points at)");
        }

        try
        {
            _ = ToConfig(Backbone, Items);
            return ValidationResult.Success();
        }
        catch (ArgumentException exception)
        {
            return ValidationResult.Error(exception.Message);
        }
    }
}

/// <summary><c>train</c>: one backbone with ID or MOTOR items; writes metrics.json, config.json, weights and vectors.</summary>
public sealed class TrainCommand(IAnsiConsole console) : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        RunConfig config = settings.ToConfig(settings.Backbone, settings.Items);
        TorchDevice device = TorchDevice.Resolve(settings.Device, message => console.MarkupLineInterpolated($"[yellow]{message}[/]"));
        InteractionDataset dataset = DatasetLoader.Load(settings.DataDirectory);
        RunMetrics metrics = RunWithProgress(console, dataset, config, device, settings.OutputDirectory, $"{config.Descriptor.DisplayName} {config.VariantLabel}");

        console.Write(MetricsTable(metrics));
        console.MarkupLineInterpolated($"wrote {Path.GetFullPath(settings.OutputDirectory)}");
        if (settings.Export is not null)
        {
            Export.ExportResult bundle = Export.BundleExporter.Export(Export.TrainingRunDirectory.Load(settings.OutputDirectory), dataset, settings.Export, log: line => console.MarkupLineInterpolated($"[grey]{line}[/]"));
            ExportCommand.Report(console, bundle);
            ExportCommand.PointCurrent(console, settings.Current, settings.Export);
        }

        return 0;
    }

    /// <summary>Runs one configuration behind a progress bar: epoch, loss, valid Recall@20, seconds.</summary>
    internal static RunMetrics RunWithProgress(IAnsiConsole console, InteractionDataset dataset, RunConfig config, TorchDevice device, string outputDirectory, string label)
    {
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn())
            .Start(progress =>
            {
                ProgressTask task = progress.AddTask(Markup.Escape(label), maxValue: config.Training.MaxEpochs);
                RunMetrics result = TrainingRun.Execute(dataset, config, device, outputDirectory,
                    report =>
                    {
                        task.Value = report.Epoch;
                        task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                            $"{label} | epoch {report.Epoch} | loss {report.Loss:F4} | valid R@20 {report.ValidMetric:F4} (best {report.BestValidMetric:F4} @ {report.BestEpoch}){(report.HoldoutValidMetric is double holdout ? $" | hold-out valid R@20 {holdout:F4}" : string.Empty)} | {report.TrainSeconds:F2}+{report.EvalSeconds:F2} s"));
                    },
                    message => task.Description = Markup.Escape($"{label} | {message}"));
                task.Value = task.MaxValue;
                return result;
            });
    }

    internal static Table MetricsTable(RunMetrics metrics)
    {
        var table = new Table().Title(Markup.Escape($"{metrics.Backbone} / {metrics.Variant}: best epoch {metrics.BestEpoch} of {metrics.Epochs}"))
            .AddColumns("split", "R@10", "R@20", "N@10", "N@20");
        void Add(string name, IReadOnlyDictionary<string, double>? values)
        {
            if (values is not null)
            {
                table.AddRow(name, F(values["recall@10"]), F(values["recall@20"]), F(values["ndcg@10"]), F(values["ndcg@20"]));
            }
        }

        Add("valid", metrics.Valid);
        Add("test", metrics.Test);
        Add("cold (natural)", metrics.ColdNatural);
        if (metrics.ColdStart is ColdStartViews views)
        {
            Add("warm (hold-out)", views.Warm);
            Add("cold-test, among cold", views.Cold);
            Add("cold-test, hybrid", views.Hybrid);
            Add("overall (hold-out)", views.Overall);
            Add("cold-valid, hybrid", views.HybridValid);
        }
        table.Caption(string.Create(CultureInfo.InvariantCulture,
            $"{metrics.TrainSecondsPerEpoch:F2} s train + {metrics.EvalSecondsPerEpoch:F2} s eval per epoch, {metrics.SecondsTotal:F0} s total, item side {metrics.ItemParamBytes:N0} bytes"));
        return table;
    }

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
