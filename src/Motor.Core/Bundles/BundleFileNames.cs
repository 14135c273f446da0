namespace Motor.Core.Bundles;

/// <summary>Paths of the files inside a bundle directory (the layout is part of the format version).</summary>
public static class BundleFileNames
{
    public const string Manifest = "manifest.json";

    /// <summary>float32 .npy, Users x VectorSize.</summary>
    public const string UserVectors = "user_vectors.npy";

    /// <summary>float32 .npy, Items x VectorSize: the serving item vectors.</summary>
    public const string ItemVectors = "item_vectors.npy";

    /// <summary>Each user's training items, <see cref="CsrMatrixFile"/> format.</summary>
    public const string TrainingItems = "training_items.bin";

    /// <summary>UTF-8, one external ID per line, line i = internal index i.</summary>
    public const string UserIds = "user_ids.txt";

    public const string ItemIds = "item_ids.txt";

    /// <summary><see cref="Tokenization.TokenTable"/> binary format; MOTOR bundles only.</summary>
    public const string ItemTokens = "item_tokens.bin";

    /// <summary>ONNX item encoder (tokens [, features] -> serving vectors); MOTOR bundles only.</summary>
    public const string ItemEncoder = "item_encoder.onnx";

    /// <summary>float32 .npy, (M*K) x (Dimension/M): row j*K + c is centroid c of sub-space j.</summary>
    public static string Codebook(string modality) => $"codebook_{modality}.npy";

    /// <summary>float32 .npy, Dimension x Dimension OPQ rotation (rows are encoded as x·R).</summary>
    public static string Rotation(string modality) => $"rotation_{modality}.npy";

    /// <summary>float32 .npy, 1 x Dimension mean subtracted before quantization (mean-centred modalities only).</summary>
    public static string FeatureMean(string modality) => $"mean_{modality}.npy";

    /// <summary>Modality names become part of file names: letters, digits, '-' and '_' only.</summary>
    public static bool IsValidModalityName(string name)
        => name.Length > 0 && name.All(character => char.IsAsciiLetterOrDigit(character) || character is '-' or '_');
}
