using Motor.Core.Datasets;
using Motor.Core.Tokenization;

namespace Motor.Core.Bundles;

/// <summary>What <see cref="ModelBundleWriter"/> writes: the manifest's descriptive fields and the arrays behind the files.</summary>
public sealed class ModelBundleContents
{
    /// <summary>Everything but <see cref="BundleManifest.Files"/> and the seal, which the writer fills in.</summary>
    public required BundleManifest Manifest { get; init; }

    /// <summary>Users x VectorSize, row-major.</summary>
    public required float[] UserVectors { get; init; }

    /// <summary>Items x VectorSize, row-major (serving form).</summary>
    public required float[] ItemVectors { get; init; }

    public required CsrMatrix TrainingItemsByUser { get; init; }

    public required IReadOnlyList<string> UserExternalIds { get; init; }

    public required IReadOnlyList<string> ItemExternalIds { get; init; }

    /// <summary>One per manifest modality, in order (MOTOR bundles); empty for ID bundles.</summary>
    public IReadOnlyList<PqCodebook> Codebooks { get; init; } = [];

    /// <summary>Per manifest modality: the quantization mean of a mean-centred modality, else null. Empty = none.</summary>
    public IReadOnlyList<float[]?> FeatureMeans { get; init; } = [];

    public TokenTable? ItemTokens { get; init; }

    /// <summary>Writes item_encoder.onnx into the given stream (MOTOR bundles).</summary>
    public Action<Stream>? WriteItemEncoder { get; init; }
}
