using System.ComponentModel;
using System.Text.Json;
using Motor.Trainer.Devices;
using Motor.Trainer.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class ScaleBenchSettings : CommandSettings
{
    [CommandOption("--items <KIND>")]
    [Description("id or motor")]
    [DefaultValue("motor")]
    public string Items { get; set; } = "motor";

    [CommandOption("--catalog <N>")]
    [Description("Catalog items")]
    [DefaultValue(100_000)]
    public int Catalog { get; set; } = 100_000;

    [CommandOption("--users <N>")]
    [DefaultValue(20_000)]
    public int Users { get; set; } = 20_000;

    [CommandOption("--interactions <N>")]
    [Description("Training pairs per epoch (fixed across catalog sizes)")]
    [DefaultValue(200_000)]
    public int Interactions { get; set; } = 200_000;

    [CommandOption("--batch <N>")]
    [DefaultValue(2048)]
    public int Batch { get; set; } = 2048;

    [CommandOption("--steps <N>")]
    [Description("Measured steps (after 3 warm-up steps)")]
    [DefaultValue(20)]
    public int Steps { get; set; } = 20;

    [CommandOption("--device <DEVICE>")]
    [DefaultValue(TorchDevice.Auto)]
    public string Device { get; set; } = TorchDevice.Auto;

    public override ValidationResult Validate()
        => Catalog < 1 || Users < 1 || Interactions < 1 || Batch < 1 || Steps < 1
            ? ValidationResult.Error("--catalog, --users, --interactions, --batch and --steps must be positive")
            : Items is "id" or "motor" ? ValidationResult.Success() : ValidationResult.Error($"--items: expected id or motor, got '{Items}'");
}

/// <summary><c>scale-bench --items motor --catalog 1000000</c>: one training-step measurement as a JSON line (see <see cref="TrainingStepBenchmark"/>).</summary>
public sealed class ScaleBenchCommand(IAnsiConsole console) : Command<ScaleBenchSettings>
{
    public override int Execute(CommandContext context, ScaleBenchSettings settings, CancellationToken cancellationToken)
    {
        TorchDevice device = TorchDevice.Resolve(settings.Device, line => console.MarkupLineInterpolated($"[grey]{line}[/]"));
        TrainingStepMeasurement result = TrainingStepBenchmark.Run(settings.Items, settings.Catalog, settings.Users, settings.Interactions, settings.Batch, settings.Steps, 999, device.Device);
        // One unwrapped line for scripts (the console would wrap it at its width).
        Console.Out.WriteLine(JsonSerializer.Serialize(result, JsonSerializerOptions.Web));
        return 0;
    }
}
