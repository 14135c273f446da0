using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Motor.Core.Bundles;
using Motor.Core.Datasets;
using Motor.Inference.Encoding;
using Motor.Trainer.Export;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class EvaluateSettings : DataSettings
{
    [CommandOption("--bundle <DIR>")]
    [Description("Model bundle folder (models/<version>)")]
    public string? Bundle { get; set; }

    [CommandOption("--provider <PROVIDER>")]
    [Description("ONNX Runtime execution provider of the item encoder: auto, cpu or cuda")]
    [DefaultValue("auto")]
    public string Provider { get; set; } = "auto";

    [CommandOption("--out <FILE>")]
    [Description("Also write the result as JSON to this file")]
    public string? Out { get; set; }

    [CommandOption("--json")]
    [Description("Print one JSON object instead of a table")]
    public bool Json { get; set; }

    public override ValidationResult Validate()
    {
        ValidationResult data = base.Validate();
        if (!data.Successful)
        {
            return data;
        }

        if (string.IsNullOrWhiteSpace(Bundle))
        {
            return ValidationResult.Error("--bundle: required (a bundle folder)");
        }

        return Provider is "auto" or "cpu" or "cuda" ? ValidationResult.Success() : ValidationResult.Error($"--provider: expected auto, cpu or cuda, got '{Provider}'");
    }
}

/// <summary><c>evaluate --bundle DIR --data DIR</c>: the bundle's metrics from the bundle alone (Core + ONNX Runtime).</summary>
public sealed class EvaluateCommand(IAnsiConsole console) : Command<EvaluateSettings>
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    private static readonly JsonSerializerOptions s_jsonLine = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static readonly string[] s_shown = ["recall@10", "recall@20", "ndcg@10", "ndcg@20"];

    public override int Execute(CommandContext context, EvaluateSettings settings, CancellationToken cancellationToken)
    {
        ModelBundle bundle = ModelBundleReader.Load(settings.Bundle!);
        InteractionDataset dataset = DatasetLoader.Load(settings.DataDirectory);
        BundleEvaluationResult result = BundleEvaluation.Evaluate(bundle, dataset, ExecutionProviderPreferenceParser.Parse(settings.Provider));
        string json = JsonSerializer.Serialize(result, s_json);
        if (settings.Out is not null)
        {
            File.WriteAllText(settings.Out, json);
        }

        if (settings.Json)
        {
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(result, s_jsonLine));
            console.Profile.Out.Writer.Flush();
            return 0;
        }

        var table = new Table().Title($"bundle [bold]{Markup.Escape(bundle.DirectoryPath)}[/] on {Markup.Escape(dataset.Name)}")
            .AddColumn("metric").AddColumn(new TableColumn("bundle").RightAligned()).AddColumn(new TableColumn("run (manifest)").RightAligned());
        foreach ((string section, IReadOnlyDictionary<string, double> values) in new[] { ("valid", result.Valid), ("test", result.Test), ("coldNatural", result.ColdNatural) })
        {
            foreach (string metric in s_shown)
            {
                string recorded = result.ManifestMetrics.TryGetValue($"{section}.{metric}", out double value) ? Format(value) : "-";
                table.AddRow($"{section} {metric}", Format(values[metric]), recorded);
            }
        }

        if (result.ColdNaturalEncoded is { } encoded)
        {
            foreach (string metric in s_shown)
            {
                table.AddRow($"coldNatural {metric}, cold items via ONNX", Format(encoded[metric]), "-");
            }
        }

        console.Write(table);
        if (result.EncoderMaxAbsDifference is { } difference)
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.ItemsEncoded} items without training interactions encoded from raw features ({result.ExecutionProvider}): tokens equal to the bundle's for {result.TokensMatching}, max abs vector difference {difference:E2}"));
        }

        return 0;
    }

    private static string Format(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
