using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Tokenization;

/// <summary>Trains one modality's product quantizer (optionally OPQ) on the torch device.</summary>
public static class PqTrainer
{
    /// <summary>Rows [N, d] as sub-space points [M, N, d/M] (M contiguous sub-vectors).</summary>
    public static Tensor Split(Tensor rows, int subspaceCount)
    {
        long rowCount = rows.shape[0];
        long dimension = rows.shape[1];
        return rows.reshape(rowCount, subspaceCount, dimension / subspaceCount).permute(1, 0, 2).contiguous();
    }

    /// <summary>Rows [N, d] rebuilt from codes [M, N] and centroids [M, K, d/M].</summary>
    public static Tensor Reconstruct(Tensor codes, Tensor centroids)
    {
        long subspaces = centroids.shape[0];
        long subspaceDimension = centroids.shape[2];
        long rowCount = codes.shape[1];
        Tensor parts = centroids.gather(1, codes.unsqueeze(-1).expand(subspaces, rowCount, subspaceDimension));
        return parts.permute(1, 0, 2).reshape(rowCount, subspaces * subspaceDimension);
    }

    /// <summary>
    /// PQ codebook for <paramref name="rows"/> [N, d]: centroids [M, K, d/M], plus the rotation [d, d] when OPQ is on
    /// (rows are quantized as x·R). OPQ alternates k-means on X·R (warm-started) with the orthogonal Procrustes update
    /// R = U V^T from the SVD of X^T Y, Y the reconstruction; a final k-means run fits the codebook to the last R.
    /// </summary>
    public static (Tensor Centroids, Tensor? Rotation) Train(
        Tensor rows,
        int subspaceCount,
        int centroidCount,
        int iterations,
        bool opq,
        int opqRounds,
        Generator generator,
        Action<double>? progress = null)
    {
        using DisposeScope scope = NewDisposeScope();
        if (!opq)
        {
            Tensor points = Split(rows, subspaceCount);
            Tensor centroids = KMeans.Fit(points, centroidCount, iterations, generator,
                iterationDone: i => progress?.Invoke((double)i / Math.Max(1, iterations)));
            return (centroids.MoveToOuterDisposeScope(), null);
        }

        long dimension = rows.shape[1];
        int stages = opqRounds + 1;
        Tensor rotation = eye(dimension, dtype: rows.dtype, device: rows.device);
        Tensor? current = null;
        for (int round = 0; round < opqRounds; round++)
        {
            using DisposeScope roundScope = NewDisposeScope();
            int stage = round;
            Tensor points = Split(rows.mm(rotation), subspaceCount);
            Tensor centroids = KMeans.Fit(points, centroidCount, iterations, generator, current,
                i => progress?.Invoke((stage + (double)i / Math.Max(1, iterations)) / stages));
            Tensor codes = KMeans.Assign(points, centroids).Codes;
            Tensor target = Reconstruct(codes, centroids);
            (Tensor u, Tensor _, Tensor vh) = linalg.svd(rows.t().mm(target), fullMatrices: false);
            Tensor updated = u.mm(vh);
            rotation.Dispose();
            rotation = updated.MoveToOuterDisposeScope();
            current?.Dispose();
            current = centroids.MoveToOuterDisposeScope();
        }

        Tensor finalPoints = Split(rows.mm(rotation), subspaceCount);
        Tensor finalCentroids = KMeans.Fit(finalPoints, centroidCount, iterations, generator, current,
            i => progress?.Invoke((opqRounds + (double)i / Math.Max(1, iterations)) / stages));
        return (finalCentroids.MoveToOuterDisposeScope(), rotation.MoveToOuterDisposeScope());
    }
}
