namespace Motor.Core.Tokenization;

/// <summary>Row preprocessing applied to a modality's features before quantization (METHOD.md section 1).</summary>
public sealed record FeaturePreprocessing
{
    public bool L2Normalize { get; init; } = true;

    public bool MeanCenter { get; init; }

    /// <summary>
    /// In place on <paramref name="rows"/> (rowCount x dimension): subtract <paramref name="mean"/> when MeanCenter
    /// (mean computed on the training items by the caller, stored in the bundle), then L2-normalise when asked.
    /// Zero rows stay zero.
    /// </summary>
    public void Apply(Span<float> rows, int dimension, ReadOnlySpan<float> mean) => throw new NotImplementedException();
}
