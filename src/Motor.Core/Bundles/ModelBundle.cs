using Motor.Core.Datasets;
using Motor.Core.Tokenization;

namespace Motor.Core.Bundles;

/// <summary>
/// A model bundle's files, loaded and verified (ARCHITECTURE.md, "The model bundle"). A record so that a server whose
/// search index has taken the item vectors can keep the rest without them: <c>bundle with { ItemVectors = [] }</c>.
/// </summary>
public sealed record ModelBundle
{
    public required string DirectoryPath { get; init; }

    public required BundleManifest Manifest { get; init; }

    public int UserCount => UserExternalIds.Count;

    public int ItemCount => ItemExternalIds.Count;

    /// <summary>Dimension of the serving vectors (score = dot(user vector, item vector)).</summary>
    public int VectorSize => Manifest.VectorSize;

    /// <summary>UserCount x VectorSize, row-major.</summary>
    public required float[] UserVectors { get; init; }

    /// <summary>ItemCount x VectorSize, row-major: what the backbone scores for each catalog item.</summary>
    public required float[] ItemVectors { get; init; }

    /// <summary>Each user's training items (for "exclude seen").</summary>
    public required CsrMatrix TrainingItemsByUser { get; init; }

    /// <summary>External IDs, index = internal user/item index.</summary>
    public required IReadOnlyList<string> UserExternalIds { get; init; }

    public required IReadOnlyList<string> ItemExternalIds { get; init; }

    /// <summary>One codebook per modality, in manifest modality order; empty for ID-based bundles.</summary>
    public required IReadOnlyList<PqCodebook> Codebooks { get; init; }

    /// <summary>Per modality, the mean subtracted before quantization when the modality is mean-centred, else null.</summary>
    public required IReadOnlyList<float[]?> FeatureMeans { get; init; }

    /// <summary>Every catalog item's tokens; null for ID-based bundles.</summary>
    public TokenTable? ItemTokens { get; init; }

    /// <summary>Full path of item_encoder.onnx; null for ID-based bundles (no cold-start ingestion).</summary>
    public string? ItemEncoderPath { get; init; }
}
