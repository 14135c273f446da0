using System.ComponentModel;
using System.Globalization;
using Motor.Core.Bundles;
using Motor.Core.Datasets;
using Motor.Trainer.Export;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class ExportSettings : CommandSettings
{
    [CommandOption("--run <DIR>")]
    [Description("Run folder written by 'train --out'")]
    public string? Run { get; set; }

    [CommandOption("--data <DIR>")]
    [Description("The dataset folder the run was trained on (checked against the run's dataset hash)")]
    public string? Data { get; set; }

    [CommandOption("--out <DIR>")]
    [Description("Bundle folder to write, e.g. models/v1 (its name becomes the bundle version)")]
    public string? Out { get; set; }

    [CommandOption("--current <LINK>")]
    [Description("After the export, point this symbolic link (e.g. models/current, what the service serves) at the new bundle, atomically")]
    public string? Current { get; set; }

    [CommandOption("--overwrite")]
    [Description("Replace an existing bundle folder")]
    public bool Overwrite { get; set; }

    [CommandOption("--without-cold-test")]
    [Description("Runs trained with --cold-items: leave the cold-test items out of the bundle, to ingest them through the API as new items")]
    public bool WithoutColdTest { get; set; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Run))
        {
            return ValidationResult.Error("--run: required (a run folder of 'train --out')");
        }

        if (string.IsNullOrWhiteSpace(Data) || !Directory.Exists(Data))
        {
            return ValidationResult.Error(string.IsNullOrWhiteSpace(Data) ? "--data: required (the run's dataset folder)" : $"--data: folder '{Data}' does not exist");
        }

        return string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out: required (the bundle folder, e.g. models/v1)") : ValidationResult.Success();
    }
}

/// <summary><c>export --run DIR --data DIR --out models/&lt;version&gt;</c>: writes the model bundle of a trained run.</summary>
public sealed class ExportCommand(IAnsiConsole console) : Command<ExportSettings>
{
    public override int Execute(CommandContext context, ExportSettings settings, CancellationToken cancellationToken)
    {
        TrainingRunDirectory run = TrainingRunDirectory.Load(settings.Run!);
        InteractionDataset dataset = DatasetLoader.Load(settings.Data!);
        ExportResult result = BundleExporter.Export(run, dataset, settings.Out!, settings.Overwrite, line => console.MarkupLineInterpolated($"[grey]{line}[/]"), settings.WithoutColdTest);
        Report(console, result);
        PointCurrent(console, settings.Current, settings.Out!);
        return 0;
    }

    /// <summary><c>--current LINK</c>: switches the served link to the bundle just written (also used by <c>train</c> and <c>demo-bundle</c>).</summary>
    internal static void PointCurrent(IAnsiConsole console, string? link, string bundleDirectory)
    {
        if (link is null)
        {
            return;
        }

        BundleLink.Point(link, bundleDirectory);
        console.MarkupLineInterpolated($"{link} -> {bundleDirectory}");
    }

    /// <summary>One summary line per bundle (also used by <c>train --export</c>).</summary>
    internal static void Report(IAnsiConsole console, ExportResult result)
    {
        ModelBundle bundle = result.Bundle;
        long bytes = bundle.Manifest.Files.Sum(file => file.Bytes);
        string encoder = result.EncoderMaxAbsDifference is { } difference
            ? string.Create(CultureInfo.InvariantCulture, $"; encoder checked on {result.EncoderItemsCompared} items, max abs difference {difference:E2}")
            : "; no item encoder (ID items)";
        console.MarkupLineInterpolated(
            $"bundle [bold]{bundle.DirectoryPath}[/]: {bundle.Manifest.Backbone}/{bundle.Manifest.ItemRepresentation}, {bundle.UserCount} users, {bundle.ItemCount} items, vector size {bundle.VectorSize}, {bundle.Manifest.Files.Count + 1} files, {bytes:N0} bytes{encoder}");
    }
}
