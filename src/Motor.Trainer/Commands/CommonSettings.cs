using System.ComponentModel;
using Motor.Trainer.Devices;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

/// <summary>Options of every command that reads a dataset folder: <c>--data</c>.</summary>
public class DataSettings : CommandSettings
{
    [CommandOption("--data <DIR>")]
    [Description("Dataset folder in the PROTOCOL.md format (.inter + *_feat.npy)")]
    public string? Data { get; set; }

    /// <summary>The validated <c>--data</c> folder.</summary>
    public string DataDirectory => Data ?? throw new InvalidOperationException("--data: required");

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Data))
        {
            return ValidationResult.Error("--data: required (a dataset folder)");
        }

        if (!Directory.Exists(Data))
        {
            return ValidationResult.Error($"--data: folder '{Data}' does not exist");
        }

        return ValidationResult.Success();
    }
}

/// <summary>Options of commands that run torch: <c>--device auto|cpu|cuda</c> and <c>--seed</c>.</summary>
public class TorchSettings : DataSettings
{
    public const int DefaultSeed = 999;

    [CommandOption("--device <DEVICE>")]
    [Description("auto (CUDA when available, else CPU), cpu or cuda")]
    [DefaultValue(TorchDevice.Auto)]
    public string Device { get; set; } = TorchDevice.Auto;

    [CommandOption("--seed <SEED>")]
    [Description("Seed of every random choice (torch and C#)")]
    [DefaultValue(DefaultSeed)]
    public int Seed { get; set; } = DefaultSeed;

    public override ValidationResult Validate()
    {
        ValidationResult data = base.Validate();
        if (!data.Successful)
        {
            return data;
        }

        return TorchDevice.IsValidChoice(Device)
            ? ValidationResult.Success()
            : ValidationResult.Error($"--device: expected auto, cpu or cuda, got '{Device}'");
    }
}

/// <summary>Options of torch commands that write a result folder: adds a required <c>--out</c>.</summary>
public class TorchOutputSettings : TorchSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Output folder (created when missing)")]
    public string? Out { get; set; }

    /// <summary>The validated <c>--out</c> folder.</summary>
    public string OutputDirectory => Out ?? throw new InvalidOperationException("--out: required");

    public override ValidationResult Validate()
    {
        ValidationResult torch = base.Validate();
        if (!torch.Successful)
        {
            return torch;
        }

        return string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out: required (an output folder)") : ValidationResult.Success();
    }
}
