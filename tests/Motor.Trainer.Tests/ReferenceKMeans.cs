using System.Runtime.CompilerServices;

namespace Motor.Trainer.Tests;

/// <summary>
/// An independent, plain C# product quantizer used only as the reference of the tokenizer's quality: per sub-space,
/// k-means++ (System.Random) then Lloyd with exact squared distances; an empty cluster takes the point farthest from its
/// centroid. Nothing here shares code with the torch implementation.
/// </summary>
internal static class ReferenceKMeans
{
    /// <summary>Relative MSE of PQ on <paramref name="rows"/> (rowCount x dimension): sum ||x - x̂||^2 / sum ||x||^2.</summary>
    public static double RelativeMse(float[] rows, int rowCount, int dimension, int subspaces, int centroids, int iterations, int seed)
    {
        int width = dimension / subspaces;
        double error = 0;
        double norm = 0;
        for (int s = 0; s < subspaces; s++)
        {
            var points = new float[rowCount * width];
            for (int r = 0; r < rowCount; r++)
            {
                Array.Copy(rows, r * dimension + s * width, points, r * width, width);
            }

            float[] codebook = Fit(points, rowCount, width, centroids, iterations, new Random(seed + s));
            var codes = new int[rowCount];
            var distances = new float[rowCount];
            Assign(points, rowCount, width, codebook, centroids, codes, distances);
            for (int r = 0; r < rowCount; r++)
            {
                error += distances[r];
                for (int k = 0; k < width; k++)
                {
                    norm += (double)points[r * width + k] * points[r * width + k];
                }
            }
        }

        return error / norm;
    }

    public static float[] Fit(float[] points, int rowCount, int width, int centroidCount, int iterations, Random random)
    {
        var centroids = new float[centroidCount * width];
        int first = random.Next(rowCount);
        Array.Copy(points, first * width, centroids, 0, width);
        var nearest = new double[rowCount];
        for (int r = 0; r < rowCount; r++)
        {
            nearest[r] = Distance(points, r * width, centroids, 0, width);
        }

        for (int c = 1; c < centroidCount; c++)
        {
            double total = nearest.Sum();
            int chosen = rowCount - 1;
            if (total <= 0)
            {
                chosen = random.Next(rowCount);
            }
            else
            {
                double target = random.NextDouble() * total;
                for (int r = 0; r < rowCount; r++)
                {
                    target -= nearest[r];
                    if (target < 0)
                    {
                        chosen = r;
                        break;
                    }
                }
            }

            Array.Copy(points, chosen * width, centroids, c * width, width);
            for (int r = 0; r < rowCount; r++)
            {
                nearest[r] = Math.Min(nearest[r], Distance(points, r * width, centroids, c * width, width));
            }
        }

        var codes = new int[rowCount];
        var distances = new float[rowCount];
        var sums = new double[centroidCount * width];
        var counts = new int[centroidCount];
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            Assign(points, rowCount, width, centroids, centroidCount, codes, distances);
            Array.Clear(sums);
            Array.Clear(counts);
            for (int r = 0; r < rowCount; r++)
            {
                counts[codes[r]]++;
                for (int k = 0; k < width; k++)
                {
                    sums[codes[r] * width + k] += points[r * width + k];
                }
            }

            int[] byDistance = [.. Enumerable.Range(0, rowCount).OrderByDescending(r => distances[r])];
            int nextFar = 0;
            for (int c = 0; c < centroidCount; c++)
            {
                if (counts[c] == 0)
                {
                    Array.Copy(points, byDistance[nextFar++] * width, centroids, c * width, width);
                    continue;
                }

                for (int k = 0; k < width; k++)
                {
                    centroids[c * width + k] = (float)(sums[c * width + k] / counts[c]);
                }
            }
        }

        return centroids;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Assign(float[] points, int rowCount, int width, float[] centroids, int centroidCount, int[] codes, float[] distances)
    {
        for (int r = 0; r < rowCount; r++)
        {
            float best = float.PositiveInfinity;
            int bestIndex = 0;
            for (int c = 0; c < centroidCount; c++)
            {
                float distance = 0;
                int p = r * width;
                int q = c * width;
                for (int k = 0; k < width; k++)
                {
                    float difference = points[p + k] - centroids[q + k];
                    distance += difference * difference;
                }

                if (distance < best)
                {
                    best = distance;
                    bestIndex = c;
                }
            }

            codes[r] = bestIndex;
            distances[r] = best;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Distance(float[] a, int aOffset, float[] b, int bOffset, int width)
    {
        double sum = 0;
        for (int k = 0; k < width; k++)
        {
            double difference = a[aOffset + k] - b[bOffset + k];
            sum += difference * difference;
        }

        return sum;
    }
}
