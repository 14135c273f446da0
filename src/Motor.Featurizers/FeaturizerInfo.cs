namespace Motor.Featurizers;

/// <summary>
/// What made a feature vector: recorded in dataset.json and in the bundle manifest, so that a served bundle computes
/// features for new items with the model its features were trained with (the SHA-256 tells two model files apart).
/// </summary>
/// <param name="Modality">"text" or "image": the raw input the featurizer takes.</param>
/// <param name="Name">The model's name, e.g. "all-MiniLM-L6-v2".</param>
/// <param name="Version">The package and version the model file came from.</param>
/// <param name="Dimension">Length of each feature vector.</param>
/// <param name="ModelSha256">SHA-256 (lowercase hex) of the ONNX model's bytes.</param>
public sealed record FeaturizerInfo(string Modality, string Name, string Version, int Dimension, string ModelSha256)
{
    public const string TextModality = "text";

    public const string ImageModality = "image";
}
