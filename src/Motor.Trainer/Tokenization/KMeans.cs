using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Tokenization;

/// <summary>
/// Batched k-means on the torch device: S independent problems at once (the S sub-spaces of a product quantizer),
/// points [S, N, D], centroids [S, K, D]. k-means++ initialisation, Lloyd iterations, empty clusters re-seeded from the
/// points farthest from their centroid. Distances use ||x||^2 - 2 x.c + ||c||^2 through batched matmul.
/// </summary>
public static class KMeans
{
    /// <summary>Upper bound on the elements of one [S, chunk, K] distance block, to keep memory flat for large N.</summary>
    private const long MaxDistanceElements = 1L << 24;

    /// <summary>
    /// Runs k-means on <paramref name="points"/> [S, N, D] and returns the centroids [S, K, D]. Starts from
    /// <paramref name="initialCentroids"/> when given (warm start, e.g. OPQ rounds), else from k-means++.
    /// Stops early when an iteration changes no assignment.
    /// </summary>
    public static Tensor Fit(
        Tensor points,
        int centroidCount,
        int iterations,
        Generator generator,
        Tensor? initialCentroids = null,
        Action<int>? iterationDone = null)
    {
        if (points.dim() != 3)
        {
            throw new ArgumentException($"k-means expects points [S, N, D], got {points.dim()} dimensions", nameof(points));
        }

        long rowCount = points.shape[1];
        if (centroidCount <= 0 || centroidCount > rowCount)
        {
            throw new ArgumentException($"k-means: K = {centroidCount} centroids need at least as many training rows, got {rowCount}");
        }

        if (iterations < 0)
        {
            throw new ArgumentException($"k-means: iterations must be >= 0, got {iterations}");
        }

        using DisposeScope scope = NewDisposeScope();
        Tensor centroids = initialCentroids is null ? PlusPlusInit(points, centroidCount, generator) : initialCentroids.clone();
        Tensor? previousCodes = null;
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            using DisposeScope step = NewDisposeScope();
            (Tensor codes, Tensor distances) = Assign(points, centroids);
            bool converged = previousCodes is not null && !codes.ne(previousCodes).any().item<bool>();
            if (!converged)
            {
                Tensor updated = Update(points, codes, distances, centroids);
                centroids.Dispose();
                centroids = updated.MoveToOuterDisposeScope();
                previousCodes?.Dispose();
                previousCodes = codes.MoveToOuterDisposeScope();
            }

            iterationDone?.Invoke(iteration + 1);
            if (converged)
            {
                break;
            }
        }

        return centroids.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Nearest centroid of every point: codes [S, N] (int64) and squared distances [S, N]. Ties go to the lower centroid
    /// index (argmin returns the first minimum). Computed in the dtype of the inputs.
    /// </summary>
    public static (Tensor Codes, Tensor Distances) Assign(Tensor points, Tensor centroids)
    {
        long subspaces = points.shape[0];
        long rowCount = points.shape[1];
        long centroidCount = centroids.shape[1];
        long chunk = Math.Max(1, MaxDistanceElements / Math.Max(1, subspaces * centroidCount));

        using DisposeScope scope = NewDisposeScope();
        Tensor centroidNorms = (centroids * centroids).sum(-1).unsqueeze(1);
        Tensor transposed = centroids.transpose(1, 2);
        var codeChunks = new List<Tensor>();
        var distanceChunks = new List<Tensor>();
        for (long start = 0; start < rowCount; start += chunk)
        {
            long length = Math.Min(chunk, rowCount - start);
            Tensor rows = points.narrow(1, start, length);
            Tensor partial = centroidNorms - 2 * bmm(rows, transposed);
            Tensor codes = partial.argmin(-1);
            Tensor best = partial.gather(-1, codes.unsqueeze(-1)).squeeze(-1);
            codeChunks.Add(codes);
            distanceChunks.Add((best + (rows * rows).sum(-1)).clamp_min(0));
        }

        Tensor allCodes = codeChunks.Count == 1 ? codeChunks[0] : cat(codeChunks, 1);
        Tensor allDistances = distanceChunks.Count == 1 ? distanceChunks[0] : cat(distanceChunks, 1);
        return (allCodes.MoveToOuterDisposeScope(), allDistances.MoveToOuterDisposeScope());
    }

    /// <summary>k-means++: first centroid uniform, each next one drawn with probability proportional to D(x)^2.</summary>
    internal static Tensor PlusPlusInit(Tensor points, int centroidCount, Generator generator)
    {
        long subspaces = points.shape[0];
        long rowCount = points.shape[1];
        long dimension = points.shape[2];

        using DisposeScope scope = NewDisposeScope();
        var chosen = new List<Tensor>(centroidCount);
        Tensor first = randint(0, rowCount, [subspaces, 1], dtype: ScalarType.Int64, device: points.device, generator: generator);
        Tensor centroid = points.gather(1, first.unsqueeze(-1).expand(subspaces, 1, dimension));
        chosen.Add(centroid);
        Tensor nearest = SquaredDistances(points, centroid);
        for (int j = 1; j < centroidCount; j++)
        {
            using DisposeScope step = NewDisposeScope();
            Tensor weights = nearest.clamp_min(0);
            // All remaining points coincide with a centroid (fewer distinct points than K): draw uniformly.
            Tensor exhausted = weights.sum(1, keepdim: true) <= 0;
            weights = where(exhausted, ones_like(weights), weights);
            Tensor index = multinomial(weights, 1, replacement: true, generator: generator);
            Tensor next = points.gather(1, index.unsqueeze(-1).expand(subspaces, 1, dimension));
            Tensor updated = minimum(nearest, SquaredDistances(points, next));
            chosen.Add(next.MoveToOuterDisposeScope());
            nearest.Dispose();
            nearest = updated.MoveToOuterDisposeScope();
        }

        return cat(chosen, 1).MoveToOuterDisposeScope();
    }

    /// <summary>One Lloyd update: centroid = mean of its points; empty clusters take the farthest points instead.</summary>
    private static Tensor Update(Tensor points, Tensor codes, Tensor distances, Tensor centroids)
    {
        long subspaces = points.shape[0];
        long rowCount = points.shape[1];
        long dimension = points.shape[2];
        long centroidCount = centroids.shape[1];

        using DisposeScope scope = NewDisposeScope();
        Tensor sums = zeros_like(centroids).scatter_add_(1, codes.unsqueeze(-1).expand(subspaces, rowCount, dimension), points);
        Tensor counts = zeros([subspaces, centroidCount], dtype: points.dtype, device: points.device)
            .scatter_add_(1, codes, ones([subspaces, rowCount], dtype: points.dtype, device: points.device));
        Tensor means = sums / counts.clamp_min(1).unsqueeze(-1);
        Tensor empty = counts == 0;
        long mostEmpty = empty.sum(1).max().item<long>();
        if (mostEmpty > 0)
        {
            // The r-th empty cluster of a sub-space takes that sub-space's r-th farthest point.
            Tensor farthest = distances.topk((int)mostEmpty, dim: 1).indexes;
            Tensor rank = (empty.to(ScalarType.Int64).cumsum(1) - 1).clamp(0, mostEmpty - 1);
            Tensor source = farthest.gather(1, rank);
            Tensor candidates = points.gather(1, source.unsqueeze(-1).expand(subspaces, centroidCount, dimension));
            means = where(empty.unsqueeze(-1), candidates, means);
        }

        return means.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Squared Euclidean distances of every point to <paramref name="centroid"/> (broadcast over rows). A product, not
    /// <c>square()</c>: TorchSharp computes that as pow with a temporary native scalar, which a busy GC can finalise while
    /// the native call still reads it (seen as "toDouble: Expected false to be true" in a training run).
    /// </summary>
    private static Tensor SquaredDistances(Tensor points, Tensor centroid)
    {
        Tensor offset = points - centroid;
        return (offset * offset).sum(-1);
    }
}
