using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class DatasetSettings : DataSettings
{
    [CommandOption("--json")]
    [Description("Print one JSON object instead of a table")]
    public bool Json { get; set; }
}

/// <summary>Statistics of a loaded dataset; the JSON shape of <c>dataset --json</c>.</summary>
public sealed record DatasetStatistics(
    string Name,
    int Users,
    int Items,
    int Interactions,
    int Train,
    int Valid,
    int Test,
    double Density,
    IReadOnlyList<ModalityStatistics> Modalities,
    int ColdItems,
    int UsersWithoutTraining)
{
    public static DatasetStatistics From(InteractionDataset dataset) => new(
        dataset.Name,
        dataset.UserCount,
        dataset.ItemCount,
        dataset.InteractionCount,
        dataset.Train.Count,
        dataset.Valid.Count,
        dataset.Test.Count,
        dataset.UserCount == 0 || dataset.ItemCount == 0 ? 0 : (double)dataset.InteractionCount / ((double)dataset.UserCount * dataset.ItemCount),
        [.. dataset.Modalities.Select(m => new ModalityStatistics(m.Name, m.Dimension, DataTypeName(m.StoredType)))],
        dataset.ColdItems.Length,
        dataset.UsersWithoutTraining.Length);

    private static string DataTypeName(NpyDataType type) => type switch
    {
        NpyDataType.Float16 => "float16",
        NpyDataType.Float32 => "float32",
        NpyDataType.Float64 => "float64",
        _ => type.ToString().ToLowerInvariant(),
    };
}

public sealed record ModalityStatistics(string Name, int Dim, string Dtype);

/// <summary><c>dataset --data DIR [--json]</c>: loads (and so validates) a dataset folder and prints its statistics.</summary>
public sealed class DatasetCommand(IAnsiConsole console) : Command<DatasetSettings>
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public override int Execute(CommandContext context, DatasetSettings settings, CancellationToken cancellationToken)
    {
        InteractionDataset dataset = DatasetLoader.Load(settings.DataDirectory);
        DatasetStatistics statistics = DatasetStatistics.From(dataset);
        if (settings.Json)
        {
            // Raw writer: no markup parsing and no wrapping at the console width, so the JSON stays one valid line.
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(statistics, s_json));
            console.Profile.Out.Writer.Flush();
            return 0;
        }

        var table = new Table().Title($"dataset [bold]{Markup.Escape(statistics.Name)}[/]").AddColumn("statistic").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("users", Format(statistics.Users));
        table.AddRow("items", Format(statistics.Items));
        table.AddRow("interactions", Format(statistics.Interactions));
        table.AddRow("  train", Format(statistics.Train));
        table.AddRow("  valid", Format(statistics.Valid));
        table.AddRow("  test", Format(statistics.Test));
        table.AddRow("density", statistics.Density.ToString("P4", CultureInfo.InvariantCulture));
        table.AddRow("items never in training (cold)", Format(statistics.ColdItems));
        table.AddRow("users without training items", Format(statistics.UsersWithoutTraining));
        if (statistics.Modalities.Count == 0)
        {
            table.AddRow("modalities", "none");
        }

        foreach (ModalityStatistics modality in statistics.Modalities)
        {
            table.AddRow($"modality {Markup.Escape(modality.Name)}", $"{modality.Dim} x {modality.Dtype}");
        }

        console.Write(table);
        return 0;
    }

    private static string Format(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
