namespace Motor.Core.Tokenization;

/// <summary>Row preprocessing applied to a modality's features before quantization (METHOD.md section 1).</summary>
public sealed record FeaturePreprocessing
{
    public bool L2Normalize { get; init; } = true;

    public bool MeanCenter { get; init; }

    /// <summary>
    /// In place on <paramref name="rows"/> (rowCount x dimension): subtract <paramref name="mean"/> when MeanCenter
    /// (mean computed on the training items by the caller, stored in the bundle), then L2-normalise when asked.
    /// Zero rows stay zero. <paramref name="mean"/> may be empty when MeanCenter is off.
    /// </summary>
    /// <remarks>The norm is accumulated in double and each value multiplied by (float)(1 / norm), so that every caller
    /// (trainer, API, tests) gets bit-identical rows and therefore identical tokens.</remarks>
    public void Apply(Span<float> rows, int dimension, ReadOnlySpan<float> mean)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (rows.Length % dimension != 0)
        {
            throw new ArgumentException($"{rows.Length} values are not a multiple of the dimension {dimension}", nameof(rows));
        }

        if (MeanCenter && mean.Length != dimension)
        {
            throw new ArgumentException($"mean-centering needs a mean of {dimension} values, got {mean.Length}", nameof(mean));
        }

        for (int start = 0; start < rows.Length; start += dimension)
        {
            Span<float> row = rows.Slice(start, dimension);
            if (MeanCenter)
            {
                for (int i = 0; i < dimension; i++)
                {
                    row[i] -= mean[i];
                }
            }

            if (L2Normalize)
            {
                double squaredNorm = 0;
                foreach (float value in row)
                {
                    squaredNorm += (double)value * value;
                }

                if (squaredNorm > 0)
                {
                    float scale = (float)(1 / Math.Sqrt(squaredNorm));
                    for (int i = 0; i < dimension; i++)
                    {
                        row[i] *= scale;
                    }
                }
            }
        }
    }

    /// <summary>The mean of the rows listed in <paramref name="rowIndices"/> (e.g. the training items), accumulated in double.</summary>
    public static float[] ComputeMean(ReadOnlySpan<float> rows, int dimension, ReadOnlySpan<int> rowIndices)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        double[] sum = new double[dimension];
        foreach (int row in rowIndices)
        {
            ReadOnlySpan<float> values = rows.Slice(row * dimension, dimension);
            for (int i = 0; i < dimension; i++)
            {
                sum[i] += values[i];
            }
        }

        float[] mean = new float[dimension];
        for (int i = 0; i < dimension && rowIndices.Length > 0; i++)
        {
            mean[i] = (float)(sum[i] / rowIndices.Length);
        }

        return mean;
    }
}
