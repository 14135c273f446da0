using System.Text.Json.Serialization;
using Motor.Core.Features;

namespace Motor.Core.Bundles;

/// <summary>manifest.json of a model bundle. Field names are the JSON contract (camelCase).</summary>
public sealed record BundleManifest
{
    public const int CurrentFormatVersion = 1;

    public required int FormatVersion { get; init; }

    /// <summary>The bundle's version label (its folder name under models/ by default).</summary>
    public required string Version { get; init; }

    public required BundleDataset Dataset { get; init; }

    public required IReadOnlyList<BundleModality> Modalities { get; init; }

    /// <summary>PQ settings; null for ID-based bundles.</summary>
    public BundleQuantization? Quantization { get; init; }

    /// <summary>bpr | vbpr | lightgcn | ...</summary>
    public required string Backbone { get; init; }

    /// <summary>"id" or "motor".</summary>
    public required string ItemRepresentation { get; init; }

    /// <summary>Backbone embedding size d.</summary>
    public required int EmbeddingSize { get; init; }

    /// <summary>Serving vector size (e.g. 2d for VBPR).</summary>
    public required int VectorSize { get; init; }

    /// <summary>Inputs of item_encoder.onnx in order (e.g. ["tokens"] or ["tokens", "features"]); empty without encoder.</summary>
    public IReadOnlyList<string> EncoderInputs { get; init; } = [];

    /// <summary>
    /// How the encoder's "features" input is formed from raw features (modalities concatenated in manifest order, each
    /// row preprocessed so); null when the encoder takes tokens only. May differ from the quantization preprocessing.
    /// </summary>
    public BundleEncoderFeatures? EncoderFeatures { get; init; }

    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    public required DateTimeOffset CreatedAt { get; init; }

    public required string TrainerVersion { get; init; }

    /// <summary>Every file of the bundle except manifest.json itself, with its SHA-256 and size.</summary>
    public required IReadOnlyList<BundleFile> Files { get; init; }

    /// <summary>
    /// SHA-256 (hex) of manifest.json's bytes with this value's 64 hex digits replaced by '0', so that a change anywhere
    /// in the manifest is detected too. Set by <see cref="BundleManifestSerializer"/>; keep it the last property.
    /// </summary>
    public string? ManifestSha256 { get; init; }

    [JsonIgnore]
    public bool HasItemEncoder => ItemRepresentation == "motor";
}

public sealed record BundleDataset(string Name, string ContentHash, int Users, int Items);

public sealed record BundleModality(string Name, int Dimension, bool L2Normalize, bool MeanCenter)
{
    /// <summary>
    /// The model that computes this modality from raw content (from the dataset's dataset.json); absent in bundles trained
    /// on features of unknown origin, which then accept feature vectors only. Omitted when null, so that older manifests
    /// and bundles without featurizers keep their bytes.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FeaturizerReference? Featurizer { get; init; }
}

/// <summary>Row preprocessing of the encoder's feature input (VBPR: L2-normalised rows, no centring).</summary>
public sealed record BundleEncoderFeatures(bool L2Normalize);

public sealed record BundleQuantization(int SubspaceCount, int CentroidCount, bool Opq);

public sealed record BundleFile(string Path, string Sha256, long Bytes);
