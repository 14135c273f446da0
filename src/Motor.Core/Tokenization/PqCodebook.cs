namespace Motor.Core.Tokenization;

/// <summary>Product-quantization codebook of one modality: M sub-spaces x K centroids of Dimension/M values.</summary>
public sealed class PqCodebook
{
    public PqCodebook(string modality, int dimension, int subspaceCount, int centroidCount, float[] centroids, float[]? rotation = null)
    {
        if (subspaceCount <= 0 || dimension % subspaceCount != 0)
        {
            throw new ArgumentException($"modality '{modality}': M = {subspaceCount} does not divide the dimension {dimension}", nameof(subspaceCount));
        }

        if (centroids.Length != subspaceCount * centroidCount * (dimension / subspaceCount))
        {
            throw new ArgumentException($"modality '{modality}': expected {subspaceCount * centroidCount * (dimension / subspaceCount)} centroid values, got {centroids.Length}", nameof(centroids));
        }

        if (rotation is not null && rotation.Length != dimension * dimension)
        {
            throw new ArgumentException($"modality '{modality}': rotation must be {dimension} x {dimension}", nameof(rotation));
        }

        Modality = modality;
        Dimension = dimension;
        SubspaceCount = subspaceCount;
        CentroidCount = centroidCount;
        Centroids = centroids;
        Rotation = rotation;
    }

    public string Modality { get; }

    public int Dimension { get; }

    /// <summary>M.</summary>
    public int SubspaceCount { get; }

    /// <summary>K.</summary>
    public int CentroidCount { get; }

    public int SubspaceDimension => Dimension / SubspaceCount;

    /// <summary>[M][K][Dimension/M], row-major.</summary>
    public float[] Centroids { get; }

    /// <summary>Optional OPQ rotation R (Dimension x Dimension, row-major); rows are encoded as x·R.</summary>
    public float[]? Rotation { get; }
}
