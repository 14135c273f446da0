using System.Text.Json;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Trainer.Items;
using Motor.Trainer.Training;

namespace Motor.Trainer.Export;

/// <summary>
/// A run folder written by <c>train</c> (<see cref="TrainingRun"/>): config.json, metrics.json, model.bin, tokenizer/ and the
/// serving vectors, read back into the <see cref="RunConfig"/> that rebuilds the model.
/// </summary>
public sealed class TrainingRunDirectory
{
    public required string DirectoryPath { get; init; }

    public required RunConfig Config { get; init; }

    public required string DatasetName { get; init; }

    public required string DatasetHash { get; init; }

    /// <summary>metrics.json's sections (valid, test, coldNatural, ...) flattened to "test.recall@20" and so on.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    public string WeightsPath => Path.Combine(DirectoryPath, TrainingRun.WeightsFileName);

    public string TokenizerPath => Path.Combine(DirectoryPath, TrainingRun.TokenizerFolderName);

    public static TrainingRunDirectory Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DatasetFormatException(directory, "run folder not found");
        }

        string configPath = Path.Combine(directory, TrainingRun.ConfigFileName);
        string metricsPath = Path.Combine(directory, TrainingRun.MetricsFileName);
        foreach (string required in new[] { configPath, metricsPath, Path.Combine(directory, TrainingRun.WeightsFileName), Path.Combine(directory, TrainingRun.UserVectorsFileName), Path.Combine(directory, TrainingRun.ItemVectorsFileName) })
        {
            if (!File.Exists(required))
            {
                throw new DatasetFormatException(required, "missing: not a complete run folder of 'train --out'");
            }
        }

        using JsonDocument config = ParseJson(configPath);
        JsonElement root = config.RootElement;
        string items = String(root, "items", configPath);
        var runConfig = new RunConfig
        {
            Backbone = String(root, "backbone", configPath),
            Items = items,
            EmbeddingSize = Int(root, "embeddingSize", configPath),
            RegWeight = Double(root, "regWeight", configPath),
            Layers = Int(root, "layers", configPath),
            ColdItems = Double(root, "coldItems", configPath),

            // The serving rule of items without interactions is part of the model: the export must build the rule the run
            // was evaluated with (runs written before these fields existed used the defaults).
            ColdRule = OptionalString(root, "coldRule", configPath),
            ColdBoost = OptionalDouble(root, "servedColdBoost", configPath) ?? OptionalDouble(root, "coldBoost", configPath) ?? 1,
            Training = new TrainingOptions
            {
                Seed = Int(root, "seed", configPath),
                LearningRate = Double(root, "learningRate", configPath),
                BatchSize = Int(root, "batchSize", configPath),
                MaxEpochs = Int(root, "maxEpochs", configPath),
                Patience = Int(root, "patience", configPath),
            },
        };
        if (items == "motor")
        {
            runConfig = runConfig with
            {
                SubspaceCount = Int(root, "m", configPath),
                CentroidCount = Int(root, "k", configPath),
                UseOpq = Bool(root, "opq", configPath),
                Encoder = new MotorEncoderOptions
                {
                    Dimension = runConfig.EmbeddingSize,
                    UseTcn = Bool(root, "tcn", configPath),
                    Order = Enum<TcnOrder>(root, "tcnOrder", configPath),
                    CrossLayers = Int(root, "tcnLayers", configPath),
                    Branches = Enum<TcnBranches>(root, "tcnBranches", configPath),
                    SharedTokenTable = Bool(root, "sharedTokenTable", configPath),
                },
            };
        }

        try
        {
            runConfig.Validate();
        }
        catch (ArgumentException exception)
        {
            throw new DatasetFormatException(configPath, exception.Message);
        }

        using JsonDocument metricsDocument = ParseJson(metricsPath);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (JsonProperty section in metricsDocument.RootElement.EnumerateObject())
        {
            if (section.Value.ValueKind != JsonValueKind.Object || section.Name == "config")
            {
                continue;
            }

            foreach (JsonProperty metric in section.Value.EnumerateObject())
            {
                if (metric.Value.ValueKind == JsonValueKind.Number)
                {
                    metrics[$"{section.Name}.{metric.Name}"] = metric.Value.GetDouble();
                }
            }
        }

        return new TrainingRunDirectory
        {
            DirectoryPath = directory,
            Config = runConfig,
            DatasetName = String(root, "dataset", configPath),
            DatasetHash = String(root, "datasetHash", configPath),
            Metrics = metrics,
        };
    }

    /// <summary>The run's serving vectors (users, items), as written at its best-valid epoch.</summary>
    public (NpyArray Users, NpyArray Items) ReadVectors()
        => (NpyFile.Read(Path.Combine(DirectoryPath, TrainingRun.UserVectorsFileName)), NpyFile.Read(Path.Combine(DirectoryPath, TrainingRun.ItemVectorsFileName)));

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException exception)
        {
            throw new DatasetFormatException(path, $"invalid JSON: {exception.Message}");
        }
    }

    private static JsonElement Field(JsonElement root, string name, string path)
        => root.TryGetProperty(name, out JsonElement value) ? value : throw new DatasetFormatException(path, $"missing field '{name}'");

    private static string String(JsonElement root, string name, string path)
    {
        JsonElement value = Field(root, name, path);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new DatasetFormatException(path, $"field '{name}' must be a string");
    }

    private static string? OptionalString(JsonElement root, string name, string path)
        => root.TryGetProperty(name, out _) ? String(root, name, path) : null;

    private static double? OptionalDouble(JsonElement root, string name, string path)
        => root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? Double(root, name, path) : null;

    private static int Int(JsonElement root, string name, string path)
    {
        JsonElement value = Field(root, name, path);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result) ? result : throw new DatasetFormatException(path, $"field '{name}' must be an integer");
    }

    private static double Double(JsonElement root, string name, string path)
    {
        JsonElement value = Field(root, name, path);
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw new DatasetFormatException(path, $"field '{name}' must be a number");
    }

    private static bool Bool(JsonElement root, string name, string path)
    {
        JsonElement value = Field(root, name, path);
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw new DatasetFormatException(path, $"field '{name}' must be true or false");
    }

    private static T Enum<T>(JsonElement root, string name, string path)
        where T : struct, System.Enum
        => System.Enum.TryParse(String(root, name, path), ignoreCase: true, out T result) ? result : throw new DatasetFormatException(path, $"field '{name}': unknown value");
}
