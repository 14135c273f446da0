namespace Motor.Featurizers;

/// <summary>Where the model files are and how many threads ONNX Runtime may use per call.</summary>
public sealed record FeaturizerOptions
{
    /// <summary>Folder holding the model files; null: <see cref="FeaturizerModels.DefaultDirectory"/>.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>ONNX Runtime intra-op threads per call; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; init; }

    internal string ResolvedDirectory => ModelDirectory ?? FeaturizerModels.DefaultDirectory;
}
