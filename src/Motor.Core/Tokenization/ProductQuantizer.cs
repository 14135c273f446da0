namespace Motor.Core.Tokenization;

/// <summary>Assigns codes with a trained codebook: nearest centroid (squared L2) in each sub-space.</summary>
public static class ProductQuantizer
{
    /// <summary>
    /// Encodes <paramref name="rowCount"/> preprocessed rows into <paramref name="codes"/> (rowCount x M, row-major).
    /// Ties go to the lower centroid index (the same rule as the trainer's assignment).
    /// </summary>
    public static void Encode(PqCodebook codebook, ReadOnlySpan<float> rows, int rowCount, Span<ushort> codes)
        => throw new NotImplementedException();

    /// <summary>Reconstructs rows from codes (for MSE reports and tests).</summary>
    public static void Decode(PqCodebook codebook, ReadOnlySpan<ushort> codes, int rowCount, Span<float> rows)
        => throw new NotImplementedException();
}
