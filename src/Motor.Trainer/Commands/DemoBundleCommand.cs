using System.ComponentModel;
using Motor.Trainer.Demo;
using Motor.Trainer.Export;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class DemoBundleSettings : CommandSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Bundle folder to write (replaced if it exists); run-demo.sh writes src/Motor.Api/data-local/demo-bundle")]
    public string? Out { get; set; }

    [CommandOption("--current <LINK>")]
    [Description("Then point this symbolic link (e.g. /models/current, what the service serves) at the bundle, atomically")]
    public string? Current { get; set; }

    [CommandOption("--work <DIR>")]
    [Description("Folder for the generated dataset and the run (default: a temporary folder, deleted at the end)")]
    public string? Work { get; set; }

    public override ValidationResult Validate()
        => string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out: required (the bundle folder, e.g. src/Motor.Api/data-local/demo-bundle)") : ValidationResult.Success();
}

/// <summary>
/// <c>demo-bundle --out DIR</c>: generates the synthetic demo dataset, trains the demo model on CPU and exports its
/// bundle. This is how the bundle that the service serves without configuration (Motor:DemoBundlePath) is made;
/// a trainer test runs it twice and compares.
/// </summary>
public sealed class DemoBundleCommand(IAnsiConsole console) : Command<DemoBundleSettings>
{
    public override int Execute(CommandContext context, DemoBundleSettings settings, CancellationToken cancellationToken)
    {
        string work = settings.Work ?? Path.Combine(Path.GetTempPath(), $"motor-demo-{Guid.NewGuid():N}");
        try
        {
            ExportResult result = DemoBundleTrainer.Build(work, settings.Out!, line => console.MarkupLineInterpolated($"[grey]{line}[/]"), cancellationToken);
            ExportCommand.Report(console, result);
            ExportCommand.PointCurrent(console, settings.Current, settings.Out!);
            return 0;
        }
        finally
        {
            if (settings.Work is null && Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }
}
