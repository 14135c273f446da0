namespace Motor.Core.Tokenization;

/// <summary>Assigns codes with a trained codebook: nearest centroid (squared L2) in each sub-space.</summary>
/// <remarks>
/// Distances are computed directly as sum_j (y_j - c_j)^2, accumulated in double, on the row y = x·R (x when there is no
/// rotation; y_j = sum_i x_i R[i, j], also in double, then rounded to float). The minimum is strict (&lt;), so ties go to the
/// lower centroid index. Being the exact distance up to double rounding, this is the reference assignment: a float32
/// ||y||^2 - 2 y·c + ||c||^2 on an accelerator can only disagree where two centroids are within float rounding of each other.
/// </remarks>
public static class ProductQuantizer
{
    private const int RowsPerParallelBatch = 256;

    /// <summary>
    /// Encodes <paramref name="rowCount"/> preprocessed rows into <paramref name="codes"/> (rowCount x M, row-major).
    /// Ties go to the lower centroid index (the same rule as the trainer's assignment).
    /// </summary>
    public static void Encode(PqCodebook codebook, ReadOnlySpan<float> rows, int rowCount, Span<ushort> codes)
    {
        int dimension = codebook.Dimension;
        int subspaces = codebook.SubspaceCount;
        if (rowCount < 0 || rows.Length < (long)rowCount * dimension)
        {
            throw new ArgumentException($"{rows.Length} values do not hold {rowCount} rows of modality '{codebook.Modality}' (dimension {dimension})", nameof(rows));
        }

        if (codes.Length < (long)rowCount * subspaces)
        {
            throw new ArgumentException($"codes holds {codes.Length} values, {rowCount} rows x M {subspaces} need {rowCount * subspaces}", nameof(codes));
        }

        if (rowCount == 0)
        {
            return;
        }

        if (rowCount < RowsPerParallelBatch)
        {
            EncodeRows(codebook, rows[..(rowCount * dimension)], codes[..(rowCount * subspaces)]);
            return;
        }

        unsafe
        {
            fixed (float* rowPointer = rows)
            fixed (ushort* codePointer = codes)
            {
                nint rowAddress = (nint)rowPointer;
                nint codeAddress = (nint)codePointer;
                int batches = (rowCount + RowsPerParallelBatch - 1) / RowsPerParallelBatch;
                Parallel.For(0, batches, batch =>
                {
                    int first = batch * RowsPerParallelBatch;
                    int count = Math.Min(RowsPerParallelBatch, rowCount - first);
                    ReadOnlySpan<float> batchRows = new((float*)rowAddress + ((long)first * dimension), count * dimension);
                    Span<ushort> batchCodes = new((ushort*)codeAddress + ((long)first * subspaces), count * subspaces);
                    EncodeRows(codebook, batchRows, batchCodes);
                });
            }
        }
    }

    /// <summary>
    /// Reconstructs rows from codes (for MSE reports and tests): the centroids, concatenated, and with a rotation mapped back
    /// to the input space as y·Rᵀ (R is orthogonal).
    /// </summary>
    public static void Decode(PqCodebook codebook, ReadOnlySpan<ushort> codes, int rowCount, Span<float> rows)
    {
        int dimension = codebook.Dimension;
        int subspaces = codebook.SubspaceCount;
        int subDimension = codebook.SubspaceDimension;
        int centroidCount = codebook.CentroidCount;
        if (rowCount < 0 || codes.Length < (long)rowCount * subspaces)
        {
            throw new ArgumentException($"{codes.Length} codes do not hold {rowCount} rows x M {subspaces}", nameof(codes));
        }

        if (rows.Length < (long)rowCount * dimension)
        {
            throw new ArgumentException($"rows holds {rows.Length} values, {rowCount} rows x {dimension} need {rowCount * dimension}", nameof(rows));
        }

        float[] rotated = new float[dimension];
        for (int row = 0; row < rowCount; row++)
        {
            Span<float> target = codebook.Rotation is null ? rows.Slice(row * dimension, dimension) : rotated;
            for (int m = 0; m < subspaces; m++)
            {
                int code = codes[(row * subspaces) + m];
                if (code >= centroidCount)
                {
                    throw new ArgumentOutOfRangeException(nameof(codes), $"code {code} of row {row}, sub-space {m} is not below K = {centroidCount}");
                }

                codebook.Centroids.AsSpan(((m * centroidCount) + code) * subDimension, subDimension).CopyTo(target.Slice(m * subDimension, subDimension));
            }

            if (codebook.Rotation is float[] rotation)
            {
                Span<float> output = rows.Slice(row * dimension, dimension);
                for (int i = 0; i < dimension; i++)
                {
                    double sum = 0;
                    for (int j = 0; j < dimension; j++)
                    {
                        sum += (double)rotated[j] * rotation[(i * dimension) + j];
                    }

                    output[i] = (float)sum;
                }
            }
        }
    }

    /// <summary>Rotates one row: y_j = sum_i x_i R[i, j].</summary>
    internal static void Rotate(ReadOnlySpan<float> row, float[] rotation, Span<float> rotated, Span<double> accumulator)
    {
        int dimension = row.Length;
        accumulator.Clear();
        for (int i = 0; i < dimension; i++)
        {
            double x = row[i];
            ReadOnlySpan<float> rotationRow = rotation.AsSpan(i * dimension, dimension);
            for (int j = 0; j < dimension; j++)
            {
                accumulator[j] += x * rotationRow[j];
            }
        }

        for (int j = 0; j < dimension; j++)
        {
            rotated[j] = (float)accumulator[j];
        }
    }

    private static void EncodeRows(PqCodebook codebook, ReadOnlySpan<float> rows, Span<ushort> codes)
    {
        int dimension = codebook.Dimension;
        int subspaces = codebook.SubspaceCount;
        int subDimension = codebook.SubspaceDimension;
        int centroidCount = codebook.CentroidCount;
        float[] centroids = codebook.Centroids;
        float[] rotated = new float[dimension];
        double[] accumulator = new double[dimension];
        int rowCount = rows.Length / dimension;
        for (int row = 0; row < rowCount; row++)
        {
            ReadOnlySpan<float> x = rows.Slice(row * dimension, dimension);
            if (codebook.Rotation is float[] rotation)
            {
                Rotate(x, rotation, rotated, accumulator);
                x = rotated;
            }

            for (int m = 0; m < subspaces; m++)
            {
                ReadOnlySpan<float> sub = x.Slice(m * subDimension, subDimension);
                ReadOnlySpan<float> subspaceCentroids = centroids.AsSpan(m * centroidCount * subDimension, centroidCount * subDimension);
                int best = 0;
                double bestDistance = double.PositiveInfinity;
                for (int c = 0; c < centroidCount; c++)
                {
                    ReadOnlySpan<float> centroid = subspaceCentroids.Slice(c * subDimension, subDimension);
                    double distance = 0;
                    for (int j = 0; j < subDimension; j++)
                    {
                        double difference = (double)sub[j] - centroid[j];
                        distance += difference * difference;
                    }

                    if (distance < bestDistance)
                    {
                        bestDistance = distance;
                        best = c;
                    }
                }

                codes[(row * subspaces) + m] = (ushort)best;
            }
        }
    }
}
