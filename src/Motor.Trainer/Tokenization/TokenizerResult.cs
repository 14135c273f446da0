using System.Text.Json;
using System.Text.Json.Serialization;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Core.Tokenization;

namespace Motor.Trainer.Tokenization;

/// <summary>
/// A fitted tokenizer: per-modality codebooks (and OPQ rotations, feature means), every item's tokens and the quality
/// report. Stored as <c>codebook_&lt;modality&gt;.npy</c> ((M*K) x (d/M)), <c>rotation_&lt;modality&gt;.npy</c> (OPQ),
/// <c>mean_&lt;modality&gt;.npy</c> (1 x d, mean-centring), <c>item_tokens.bin</c> and <c>tokenizer.json</c>.
/// </summary>
public sealed class TokenizerResult
{
    public const string ManifestFileName = "tokenizer.json";
    public const string TokensFileName = "item_tokens.bin";
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required string DatasetName { get; init; }

    public required string DatasetHash { get; init; }

    /// <summary>The device the codebooks were trained on ("cpu" or "cuda").</summary>
    public required string Device { get; init; }

    public required TokenizerOptions Options { get; init; }

    public required IReadOnlyList<PqCodebook> Codebooks { get; init; }

    /// <summary>Per modality, the training-item mean subtracted before quantization; null when not mean-centring.</summary>
    public required IReadOnlyList<float[]?> FeatureMeans { get; init; }

    public required TokenTable Tokens { get; init; }

    public required IReadOnlyList<ModalityReport> Reports { get; init; }

    public static string CodebookFileName(string modality) => $"codebook_{modality}.npy";

    public static string RotationFileName(string modality) => $"rotation_{modality}.npy";

    public static string MeanFileName(string modality) => $"mean_{modality}.npy";

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var modalities = new List<ModalityEntry>();
        for (int m = 0; m < Codebooks.Count; m++)
        {
            PqCodebook codebook = Codebooks[m];
            string codebookFile = CodebookFileName(codebook.Modality);
            NpyFile.Write(Path.Combine(directory, codebookFile), codebook.Centroids,
                codebook.SubspaceCount * codebook.CentroidCount, codebook.SubspaceDimension);
            string? rotationFile = null;
            if (codebook.Rotation is not null)
            {
                rotationFile = RotationFileName(codebook.Modality);
                NpyFile.Write(Path.Combine(directory, rotationFile), codebook.Rotation, codebook.Dimension, codebook.Dimension);
            }

            string? meanFile = null;
            if (FeatureMeans[m] is float[] mean)
            {
                meanFile = MeanFileName(codebook.Modality);
                NpyFile.Write(Path.Combine(directory, meanFile), mean, 1, mean.Length);
            }

            modalities.Add(new ModalityEntry(codebook.Modality, codebook.Dimension, codebookFile, rotationFile, meanFile, Reports[m]));
        }

        using (FileStream stream = File.Create(Path.Combine(directory, TokensFileName)))
        {
            Tokens.Write(stream);
        }

        var manifest = new Manifest(
            FormatVersion,
            DatasetName,
            DatasetHash,
            Device,
            new SettingsEntry(
                Options.SubspaceCount,
                Options.CentroidCount,
                Options.Iterations,
                Options.Seed,
                Options.UseOpq,
                Options.OpqRounds,
                Options.Preprocessing.L2Normalize,
                Options.Preprocessing.MeanCenter,
                "strict"),
            Tokens.ItemCount,
            Tokens.TokensPerItem,
            TokensFileName,
            modalities);
        File.WriteAllText(Path.Combine(directory, ManifestFileName), JsonSerializer.Serialize(manifest, s_json));
    }

    /// <summary>Reads a directory written by <see cref="Save"/>; bad or missing files throw <see cref="DatasetFormatException"/>.</summary>
    public static TokenizerResult Load(string directory)
    {
        string manifestPath = Path.Combine(directory, ManifestFileName);
        if (!File.Exists(manifestPath))
        {
            throw new DatasetFormatException(manifestPath, "tokenizer manifest not found");
        }

        Manifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(manifestPath), s_json)
                ?? throw new DatasetFormatException(manifestPath, "empty manifest");
        }
        catch (JsonException exception)
        {
            throw new DatasetFormatException(manifestPath, $"invalid JSON: {exception.Message}");
        }

        if (manifest.FormatVersion != FormatVersion)
        {
            throw new DatasetFormatException(manifestPath, $"formatVersion {manifest.FormatVersion} is not supported (expected {FormatVersion})");
        }

        SettingsEntry settings = manifest.Settings ?? throw new DatasetFormatException(manifestPath, "missing 'settings'");
        var codebooks = new List<PqCodebook>();
        var means = new List<float[]?>();
        var reports = new List<ModalityReport>();
        foreach (ModalityEntry entry in manifest.Modalities ?? throw new DatasetFormatException(manifestPath, "missing 'modalities'"))
        {
            NpyArray centroids = NpyFile.Read(Path.Combine(directory, entry.Codebook));
            float[]? rotation = entry.Rotation is null ? null : NpyFile.Read(Path.Combine(directory, entry.Rotation)).Values;
            float[]? mean = entry.Mean is null ? null : NpyFile.Read(Path.Combine(directory, entry.Mean)).Values;
            try
            {
                codebooks.Add(new PqCodebook(entry.Name, entry.Dimension, settings.SubspaceCount, settings.CentroidCount, centroids.Values, rotation));
            }
            catch (ArgumentException exception)
            {
                throw new DatasetFormatException(Path.Combine(directory, entry.Codebook), exception.Message);
            }

            means.Add(mean);
            reports.Add(entry.Report ?? throw new DatasetFormatException(manifestPath, $"modality '{entry.Name}': missing 'report'"));
        }

        string tokensPath = Path.Combine(directory, manifest.Tokens);
        TokenTable tokens;
        using (FileStream stream = File.OpenRead(tokensPath))
        {
            tokens = TokenTable.Read(stream, tokensPath);
        }

        return new TokenizerResult
        {
            DatasetName = manifest.Dataset,
            DatasetHash = manifest.DatasetHash,
            Device = manifest.Device,
            Options = new TokenizerOptions
            {
                SubspaceCount = settings.SubspaceCount,
                CentroidCount = settings.CentroidCount,
                Iterations = settings.Iterations,
                Seed = settings.Seed,
                UseOpq = settings.Opq,
                OpqRounds = settings.OpqRounds,
                Preprocessing = new FeaturePreprocessing { L2Normalize = settings.L2Normalize, MeanCenter = settings.MeanCenter },
            },
            Codebooks = codebooks,
            FeatureMeans = means,
            Tokens = tokens,
            Reports = reports,
        };
    }

    private sealed record Manifest(
        int FormatVersion,
        string Dataset,
        string DatasetHash,
        string Device,
        SettingsEntry? Settings,
        int ItemCount,
        int TokensPerItem,
        string Tokens,
        IReadOnlyList<ModalityEntry>? Modalities);

    private sealed record SettingsEntry(
        int SubspaceCount,
        int CentroidCount,
        int Iterations,
        int Seed,
        bool Opq,
        int OpqRounds,
        bool L2Normalize,
        bool MeanCenter,
        string TrainingItems);

    private sealed record ModalityEntry(string Name, int Dimension, string Codebook, string? Rotation, string? Mean, ModalityReport? Report);
}
