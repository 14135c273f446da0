using System.Diagnostics;
using Motor.Core.Datasets;
using Motor.Core.Tokenization;
using Motor.Trainer.Devices;
using Motor.Trainer.Tokenization;
using Xunit.Abstractions;

namespace Motor.Trainer.Tests;

public sealed class PqTokenizerTests(ITestOutputHelper output)
{
    private static readonly TokenizerOptions s_tiktokOptions = new() { SubspaceCount = 8, CentroidCount = 256, Iterations = 25, Seed = 999 };

    /// <summary>One fit of the tiktok tokenizer shared by the tests of this class (it is the slow part).</summary>
    private static readonly Dictionary<string, (InteractionDataset Dataset, TokenizerResult Result)> s_fits = [];

    private static (InteractionDataset Dataset, TokenizerResult Result) FitTiktok(string data)
    {
        lock (s_fits)
        {
            if (!s_fits.TryGetValue(data, out var fit))
            {
                InteractionDataset dataset = DatasetLoader.Load(data);
                fit = (dataset, PqTokenizer.Fit(dataset, s_tiktokOptions, TorchDevice.CpuDevice));
                s_fits[data] = fit;
            }

            return fit;
        }
    }

    [Fact]
    public void TokensEqualCoreEncodingForEveryTiktokItemAndSurviveSaveLoad()
    {
        string? data = RealDatasets.Find("tiktok", output);
        if (data is null)
        {
            return;
        }

        (InteractionDataset dataset, TokenizerResult result) = FitTiktok(data);

        Assert.Equal(dataset.ItemCount, result.Tokens.ItemCount);
        Assert.Equal(dataset.Modalities.Count * 8, result.Tokens.TokensPerItem);
        for (int m = 0; m < dataset.Modalities.Count; m++)
        {
            PqCodebook codebook = result.Codebooks[m];
            float[] rows = (float[])dataset.Modalities[m].Values.Clone();
            s_tiktokOptions.Preprocessing.Apply(rows, codebook.Dimension, []);

            // The trainer's own torch assignment against Motor.Core's encoder, every item (training and cold).
            ushort[] trainer = PqTokenizer.EncodeOnDevice(codebook, rows, dataset.ItemCount, TorchDevice.CpuDevice);
            var core = new ushort[dataset.ItemCount * codebook.SubspaceCount];
            ProductQuantizer.Encode(codebook, rows, dataset.ItemCount, core);
            Assert.Equal(core, trainer);
            Assert.Equal(0, result.Reports[m].AssignmentMismatches);
            for (int item = 0; item < dataset.ItemCount; item++)
            {
                for (int j = 0; j < codebook.SubspaceCount; j++)
                {
                    Assert.Equal(core[item * codebook.SubspaceCount + j], result.Tokens[item, m * codebook.SubspaceCount + j]);
                }
            }

            ModalityReport report = result.Reports[m];
            output.WriteLine($"{report.Modality}: relMSE {report.RelativeMse:F4}, perplexity {report.Perplexity.Min():F1}..{report.Perplexity.Max():F1}, dead {report.DeadCodewords.Sum()}, collisions {report.CollisionRate:P2}, {report.Seconds:F1}s");
            Assert.Equal(dataset.ItemCount - dataset.ColdItems.Length, report.TrainingRows);
            Assert.InRange(report.RelativeMse, 0.0001, 1);
            Assert.All(report.Perplexity, p => Assert.InRange(p, 1, 256));
        }

        string directory = Directory.CreateTempSubdirectory("motor-tok-").FullName;
        try
        {
            result.Save(directory);
            foreach (string modality in dataset.Modalities.Select(m => m.Name))
            {
                Assert.True(File.Exists(Path.Combine(directory, TokenizerResult.CodebookFileName(modality))));
            }

            TokenizerResult loaded = TokenizerResult.Load(directory);
            Assert.Equal(result.Codebooks.Select(c => c.Centroids), loaded.Codebooks.Select(c => c.Centroids));
            Assert.Equal(result.Reports.Select(r => r.RelativeMse), loaded.Reports.Select(r => r.RelativeMse));
            for (int item = 0; item < dataset.ItemCount; item++)
            {
                for (int t = 0; t < result.Tokens.TokensPerItem; t++)
                {
                    Assert.Equal(result.Tokens[item, t], loaded.Tokens[item, t]);
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Acceptance: relative MSE per modality within 5% of an independent plain C# k-means (k-means++ + Lloyd, same M, K,
    /// iterations, seed) on the same preprocessed training rows.
    /// </summary>
    [Fact]
    public void TiktokRelativeMseIsWithinFivePercentOfReferenceKMeans()
    {
        string? data = RealDatasets.Find("tiktok", output);
        if (data is null)
        {
            return;
        }

        (InteractionDataset dataset, TokenizerResult result) = FitTiktok(data);
        int[] training = PqTokenizer.TrainingItems(dataset);
        for (int m = 0; m < dataset.Modalities.Count; m++)
        {
            ModalityFeatures modality = dataset.Modalities[m];
            float[] rows = (float[])modality.Values.Clone();
            s_tiktokOptions.Preprocessing.Apply(rows, modality.Dimension, []);
            var trainingRows = new float[training.Length * modality.Dimension];
            for (int i = 0; i < training.Length; i++)
            {
                Array.Copy(rows, training[i] * modality.Dimension, trainingRows, i * modality.Dimension, modality.Dimension);
            }

            var stopwatch = Stopwatch.StartNew();
            double reference = ReferenceKMeans.RelativeMse(trainingRows, training.Length, modality.Dimension, 8, 256, 25, 999);
            double ours = result.Reports[m].RelativeMse;
            output.WriteLine($"{modality.Name}: tokenizer relMSE {ours:F5}, reference {reference:F5}, ratio {ours / reference:F4}, reference {stopwatch.Elapsed.TotalSeconds:F1}s");
            Assert.InRange(ours / reference, 0.95, 1.05);
        }
    }
}
