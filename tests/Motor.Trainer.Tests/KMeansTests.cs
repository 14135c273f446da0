using Motor.Core.Tokenization;
using Motor.Trainer.Devices;
using Motor.Trainer.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Tests;

public sealed class KMeansTests
{
    private static readonly float[][] s_centres = [[10, 10], [-10, 10], [10, -10], [-10, -10]];

    [Fact]
    public void RecoversPlantedWellSeparatedClusters()
    {
        (float[] values, int[] labels) = Planted(perCluster: 100, seed: 3);
        using DisposeScope scope = NewDisposeScope();
        Tensor points = tensor(values, [1, labels.Length, 2]);
        using var generator = new Generator(7);

        Tensor centroids = KMeans.Fit(points, centroidCount: 4, iterations: 25, generator);
        AssertRecovered(points, centroids, labels);
    }

    [Fact]
    public void ReseedsAnEmptyClusterFromTheFarthestPoints()
    {
        (float[] values, int[] labels) = Planted(perCluster: 100, seed: 5);
        using DisposeScope scope = NewDisposeScope();
        Tensor points = tensor(values, [1, labels.Length, 2]);
        using var generator = new Generator(7);
        // Two identical starting centroids: one of them gets no point and must be moved to a far, uncovered cluster.
        Tensor start = tensor(new float[] { 10, 10, 10, 10, -10, 10, 10, -10 }, [1, 4, 2]);

        Tensor centroids = KMeans.Fit(points, centroidCount: 4, iterations: 25, generator, start);
        AssertRecovered(points, centroids, labels);
    }

    [Fact]
    public void SameSeedGivesTheSameCentroids()
    {
        (float[] values, int[] labels) = Planted(perCluster: 50, seed: 11);
        using DisposeScope scope = NewDisposeScope();
        Tensor points = tensor(values, [2, labels.Length / 2, 2]);
        using var first = new Generator(42);
        using var second = new Generator(42);

        float[] a = KMeans.Fit(points, 8, 5, first).data<float>().ToArray();
        float[] b = KMeans.Fit(points, 8, 5, second).data<float>().ToArray();
        Assert.Equal(a, b);
    }

    [Fact]
    public void PqRejectsAnMThatDoesNotDivideTheDimension()
    {
        var options = new TokenizerOptions { SubspaceCount = 3, CentroidCount = 2, Iterations = 2 };
        var exception = Assert.Throws<ArgumentException>(
            () => PqTokenizer.TrainCodebook("image", new float[10 * 10], 10, 10, options, TorchDevice.CpuDevice));
        Assert.Contains("M = 3 does not divide the dimension 10 of modality 'image'", exception.Message);
    }

    [Fact]
    public void PqRejectsMoreCentroidsThanTrainingRows()
    {
        var options = new TokenizerOptions { SubspaceCount = 2, CentroidCount = 16, Iterations = 2 };
        var exception = Assert.Throws<ArgumentException>(
            () => PqTokenizer.TrainCodebook("audio", new float[10 * 4], 10, 4, options, TorchDevice.CpuDevice));
        Assert.Contains("K = 16 exceeds the 10 training rows of modality 'audio'", exception.Message);
    }

    [Fact]
    public void OpqLearnsAnOrthogonalRotationAndNoWorseReconstruction()
    {
        // Correlated features: OPQ's rotation should not make the quantization worse than plain PQ.
        var random = new Random(1);
        const int rows = 600, dimension = 8;
        var values = new float[rows * dimension];
        for (int r = 0; r < rows; r++)
        {
            double a = random.NextDouble() * 2 - 1, b = random.NextDouble() * 2 - 1;
            for (int k = 0; k < dimension; k++)
            {
                values[r * dimension + k] = (float)((k % 2 == 0 ? a : b) * (k + 1) + 0.05 * (random.NextDouble() - 0.5));
            }
        }

        var plain = new TokenizerOptions { SubspaceCount = 4, CentroidCount = 8, Iterations = 15 };
        PqCodebook pq = PqTokenizer.TrainCodebook("x", values, rows, dimension, plain, TorchDevice.CpuDevice);
        PqCodebook opq = PqTokenizer.TrainCodebook("x", values, rows, dimension, plain with { UseOpq = true, OpqRounds = 5 }, TorchDevice.CpuDevice);

        Assert.Null(pq.Rotation);
        Assert.NotNull(opq.Rotation);
        using DisposeScope scope = NewDisposeScope();
        Tensor rotation = tensor(opq.Rotation!, [dimension, dimension]);
        Assert.True(rotation.t().mm(rotation).allclose(eye(dimension), rtol: 0, atol: 1e-4));
        Assert.True(Error(opq, values, rows) <= Error(pq, values, rows) * 1.01);
    }

    private static double Error(PqCodebook codebook, float[] values, int rows)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor x = tensor(values, [rows, codebook.Dimension]);
        if (codebook.Rotation is not null)
        {
            x = x.mm(tensor(codebook.Rotation, [codebook.Dimension, codebook.Dimension]));
        }

        Tensor centroids = tensor(codebook.Centroids, [codebook.SubspaceCount, codebook.CentroidCount, codebook.SubspaceDimension]);
        Tensor codes = KMeans.Assign(PqTrainer.Split(x, codebook.SubspaceCount), centroids).Codes;
        return (x - PqTrainer.Reconstruct(codes, centroids)).square().sum(1).mean().item<float>();
    }

    private static void AssertRecovered(Tensor points, Tensor centroids, int[] labels)
    {
        long[] codes = KMeans.Assign(points, centroids).Codes.data<long>().ToArray();
        float[] found = centroids.data<float>().ToArray();
        for (int cluster = 0; cluster < s_centres.Length; cluster++)
        {
            // Every point of a planted cluster lands on one centroid, and that centroid sits at the planted centre.
            long[] assigned = [.. Enumerable.Range(0, labels.Length).Where(i => labels[i] == cluster).Select(i => codes[i]).Distinct()];
            long centroid = Assert.Single(assigned);
            Assert.Equal(s_centres[cluster][0], found[centroid * 2], 0.3);
            Assert.Equal(s_centres[cluster][1], found[centroid * 2 + 1], 0.3);
        }

        Assert.Equal(4, codes.Distinct().Count());
    }

    private static (float[] Values, int[] Labels) Planted(int perCluster, int seed)
    {
        var random = new Random(seed);
        var values = new float[s_centres.Length * perCluster * 2];
        var labels = new int[s_centres.Length * perCluster];
        for (int i = 0; i < labels.Length; i++)
        {
            int cluster = i % s_centres.Length;
            labels[i] = cluster;
            values[i * 2] = s_centres[cluster][0] + (float)(random.NextDouble() - 0.5);
            values[i * 2 + 1] = s_centres[cluster][1] + (float)(random.NextDouble() - 0.5);
        }

        return (values, labels);
    }
}
