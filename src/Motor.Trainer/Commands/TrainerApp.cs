using Motor.Core.Datasets;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

/// <summary>
/// The trainer's command line. Commands are registered in <see cref="RegisterCommands"/>, one line each; every error ends
/// as one line on stderr (no stack trace unless MOTOR_TRACE=1) and exit code 1.
/// </summary>
public static class TrainerApp
{
    /// <summary>Set to 1 to print the full exception of a failing command.</summary>
    public const string TraceVariable = "MOTOR_TRACE";

    /// <summary>Runs the CLI. Tests pass their own console and error writer to capture the output.</summary>
    public static int Run(string[] args, IAnsiConsole? console = null, TextWriter? errors = null)
    {
        TextWriter errorWriter = errors ?? Console.Error;
        bool colorErrors = errors is null && !Console.IsErrorRedirected;
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("motor-trainer");
            config.Settings.StrictParsing = true;
            if (console is not null)
            {
                config.ConfigureConsole(console);
            }

            config.SetExceptionHandler((exception, _) =>
            {
                WriteError(errorWriter, exception, colorErrors);
                return 1;
            });
            RegisterCommands(config);
        });
        return app.Run(NormalizeArguments(args));
    }

    /// <summary>
    /// The documented spellings <c>--m</c> and <c>--k</c> (METHOD.md's M and K) are not valid long options for Spectre
    /// (long names need two characters), so they are mapped to <c>--subspaces</c> and <c>--centroids</c>.
    /// </summary>
    internal static string[] NormalizeArguments(IEnumerable<string> args)
        => [.. args.Select(argument => argument switch
        {
            "--m" => "--subspaces",
            "--k" => "--centroids",
            _ when argument.StartsWith("--m=", StringComparison.Ordinal) => "--subspaces=" + argument[4..],
            _ when argument.StartsWith("--k=", StringComparison.Ordinal) => "--centroids=" + argument[4..],
            _ => argument,
        })];

    /// <summary>Adding a command is one line here.</summary>
    private static void RegisterCommands(IConfigurator config)
    {
        config.AddCommand<DatasetCommand>("dataset").WithDescription("Validate a dataset folder and print its statistics");
        config.AddCommand<FeaturizeCommand>("featurize").WithDescription("Compute text (all-MiniLM-L6-v2) and poster (ResNet18) features of ml100k_mm in process and write a dataset folder");
        config.AddCommand<TokenizeCommand>("tokenize").WithDescription("Fit PQ codebooks per modality and write every item's tokens");
        config.AddCommand<TrainCommand>("train").WithDescription("Train one backbone with ID or MOTOR items and evaluate it");
        config.AddCommand<ExperimentCommand>("experiment").WithDescription("Train a grid of backbones x item representations (or the ablation) and write results.md");
        config.AddCommand<ExportCommand>("export").WithDescription("Write the model bundle (vectors, codebooks, tokens, item_encoder.onnx, manifest) of a trained run");
        config.AddCommand<EvaluateCommand>("evaluate").WithDescription("Compute a bundle's metrics from the bundle alone (Core + ONNX Runtime)");
        config.AddCommand<DemoBundleCommand>("demo-bundle").WithDescription("Generate the synthetic demo dataset, train the demo model and export the bundle the service serves without configuration");
        config.AddCommand<ScaleBenchCommand>("scale-bench").WithDescription("Time MOTOR-BPR or ID-BPR training steps at a synthetic catalog size (one JSON line)");
        config.AddCommand<PlotCommand>("plot").WithDescription("Draw each run's learning curve and the warm vs hybrid frontier of an experiment as PNGs");
    }

    /// <summary>One line: the message of an expected error (bad input, bad option), or type and message otherwise.</summary>
    internal static string FormatError(Exception exception)
    {
        Exception shown = exception is CommandRuntimeException { InnerException: { } inner } ? inner : exception;
        shown = shown is TypeInitializationException { InnerException: { } cause } ? cause : shown;
        bool expected = shown is DatasetFormatException or ArgumentException or InvalidOperationException or IOException
            or InvalidDataException or UnauthorizedAccessException or CommandAppException or FormatException;
        string message = expected ? shown.Message : $"{shown.GetType().Name}: {shown.Message}";
        return "error: " + string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static void WriteError(TextWriter writer, Exception exception, bool color)
    {
        string line = FormatError(exception);
        writer.WriteLine(color ? $"\u001b[31m{line}\u001b[0m" : line);
        if (Environment.GetEnvironmentVariable(TraceVariable) == "1")
        {
            writer.WriteLine(exception.ToString());
        }

        writer.Flush();
    }
}
