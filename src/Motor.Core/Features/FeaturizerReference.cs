namespace Motor.Core.Features;

/// <summary>
/// The featurizer that computed a modality's vectors from raw content, as named in dataset.json
/// (<c>modalities[i].featurizer</c>) and in a bundle manifest (<c>modalities[i].featurizer</c>). A service computes the
/// features of a new item's raw content only with the same model (<see cref="ModelSha256"/>).
/// </summary>
/// <param name="Input">The raw input: "text" or "image".</param>
/// <param name="Name">Model name, e.g. "all-MiniLM-L6-v2" or "resnet18".</param>
/// <param name="Version">Where the model file came from (package and version).</param>
/// <param name="Dimension">Feature length.</param>
/// <param name="ModelSha256">SHA-256 (lowercase hex) of the model file's bytes.</param>
public sealed record FeaturizerReference(string Input, string Name, string Version, int Dimension, string ModelSha256);
