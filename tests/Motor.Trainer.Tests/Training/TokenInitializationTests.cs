using Motor.Core.Tokenization;
using Motor.Trainer.Items;
using static TorchSharp.torch;

namespace Motor.Trainer.Tests.Training;

[Collection(TorchTestCollection.Name)]
public sealed class TokenInitializationTests
{
    private const int Items = 120;
    private const int FeatureDimension = 32;
    private const int M = 4;
    private const int K = 16;
    private const int D = 512;

    /// <summary>
    /// With projected centroids and no TCN, z_i = (1/M) x̂_i P: inner products of item vectors follow those of the PQ
    /// reconstructions (a Johnson–Lindenstrauss projection), so feature similarity is there before any training.
    /// Xavier rows carry no such structure.
    /// </summary>
    [Fact]
    public void ProjectedCentroidsPreserveTheGeometryOfTheReconstructions()
    {
        (PqCodebook codebook, ushort[] codes, float[] reconstructions) = ClusteredItems();
        long[] tokenCodes = [.. codes.Select(code => (long)code)];
        var options = new MotorEncoderOptions { Dimension = D, UseTcn = false, TokenInitialization = TokenInitialization.ProjectedCentroids };

        using var projected = new MotorItemEncoder(tokenCodes, Items, 1, M, K, options, CPU);
        projected.InitializeFromCentroids([codebook], seed: 3);
        using var xavier = new MotorItemEncoder(tokenCodes, Items, 1, M, K, options with { TokenInitialization = TokenInitialization.Xavier }, CPU);

        double projectedCorrelation = GramCorrelation(projected, codes, reconstructions);
        double xavierCorrelation = GramCorrelation(xavier, codes, reconstructions);

        Assert.True(projectedCorrelation > 0.95, $"projected centroids: correlation {projectedCorrelation:0.000}");
        Assert.True(xavierCorrelation < 0.5, $"xavier: correlation {xavierCorrelation:0.000}");
    }

    [Fact]
    public void ProjectedCentroidsAreRejectedWithASharedTable()
    {
        var options = new MotorEncoderOptions { SharedTokenTable = true, TokenInitialization = TokenInitialization.ProjectedCentroids };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("--token-init centroids", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Pearson correlation of x̂_a·x̂_b and z_a·z_b over the item pairs that share no token: shared token rows would make
    /// any initialisation look similar.
    /// </summary>
    private static double GramCorrelation(MotorItemEncoder encoder, ushort[] codes, float[] reconstructions)
    {
        float[] vectors;
        using (no_grad())
        {
            using Tensor all = encoder.All();
            vectors = all.data<float>().ToArray();
        }

        var featureProducts = new List<double>();
        var vectorProducts = new List<double>();
        for (int a = 0; a < Items; a++)
        {
            for (int b = a + 1; b < Items; b++)
            {
                if (Enumerable.Range(0, M).Any(subspace => codes[(a * M) + subspace] == codes[(b * M) + subspace]))
                {
                    continue;
                }

                featureProducts.Add(Dot(reconstructions.AsSpan(a * FeatureDimension, FeatureDimension), reconstructions.AsSpan(b * FeatureDimension, FeatureDimension)));
                vectorProducts.Add(Dot(vectors.AsSpan(a * D, D), vectors.AsSpan(b * D, D)));
            }
        }

        Assert.True(featureProducts.Count > 1000, $"only {featureProducts.Count} item pairs share no token");
        double meanX = featureProducts.Average();
        double meanY = vectorProducts.Average();
        double covariance = featureProducts.Zip(vectorProducts, (x, y) => (x - meanX) * (y - meanY)).Sum();
        double varianceX = featureProducts.Sum(x => (x - meanX) * (x - meanX));
        double varianceY = vectorProducts.Sum(y => (y - meanY) * (y - meanY));
        return covariance / Math.Sqrt(varianceX * varianceY);
    }

    private static double Dot(ReadOnlySpan<float> left, ReadOnlySpan<float> right)
    {
        double sum = 0;
        for (int index = 0; index < left.Length; index++)
        {
            sum += left[index] * right[index];
        }

        return sum;
    }

    /// <summary>L2-normalised items around 4 random cluster centres; the codebook's centroids are items themselves.</summary>
    private static (PqCodebook Codebook, ushort[] Codes, float[] Reconstructions) ClusteredItems()
    {
        var random = new Random(11);
        float[][] centres = [.. Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, FeatureDimension).Select(_ => (float)Gaussian(random)).ToArray())];
        float[] features = new float[Items * FeatureDimension];
        for (int item = 0; item < Items; item++)
        {
            for (int dimension = 0; dimension < FeatureDimension; dimension++)
            {
                features[(item * FeatureDimension) + dimension] = centres[item % 4][dimension] + (0.3f * (float)Gaussian(random));
            }
        }

        new FeaturePreprocessing().Apply(features, FeatureDimension, []);
        int width = FeatureDimension / M;
        float[] centroids = new float[M * K * width];
        for (int subspace = 0; subspace < M; subspace++)
        {
            for (int code = 0; code < K; code++)
            {
                int item = random.Next(Items);
                features.AsSpan((item * FeatureDimension) + (subspace * width), width).CopyTo(centroids.AsSpan(((subspace * K) + code) * width, width));
            }
        }

        var codebook = new PqCodebook("m", FeatureDimension, M, K, centroids);
        ushort[] codes = new ushort[Items * M];
        ProductQuantizer.Encode(codebook, features, Items, codes);
        float[] reconstructions = new float[Items * FeatureDimension];
        ProductQuantizer.Decode(codebook, codes, Items, reconstructions);
        return (codebook, codes, reconstructions);
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
