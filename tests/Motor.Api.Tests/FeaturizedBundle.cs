using System.Text.Json;
using Motor.Core.Bundles;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Featurizers;
using Motor.Trainer.Devices;
using Motor.Trainer.Export;
using Motor.Trainer.Featurize;
using Motor.Trainer.Items;
using Motor.Trainer.Training;

namespace Motor.Api.Tests;

/// <summary>
/// A small MOTOR bundle whose modalities name the real text and image featurizers: the demo dataset's interactions with
/// text (384-d) and image (512-d) features. The trained items' features are seeded random vectors (the API's raw-content
/// path is under test here, not feature quality: RealContentColdStartTests checks that on MovieLens), so the bundle is
/// trained in seconds. Built once per test run.
/// </summary>
internal static class FeaturizedBundle
{
    private static readonly SemaphoreSlim s_lock = new(1, 1);
    private static ModelBundle? s_bundle;

    public static async Task<ModelBundle> GetAsync(ApiEnvironment environment)
    {
        await s_lock.WaitAsync();
        try
        {
            s_bundle ??= await Task.Run(() => Build(environment));
            return s_bundle;
        }
        finally
        {
            s_lock.Release();
        }
    }

    private static ModelBundle Build(ApiEnvironment environment)
    {
        string root = Path.Combine(environment.Root, "featurized");
        string dataset = Path.Combine(root, "dataset");
        Directory.CreateDirectory(dataset);
        string inter = Directory.GetFiles(environment.DatasetPath, "*.inter").Single();
        File.Copy(inter, Path.Combine(dataset, "featurized.inter"));
        int items = environment.Bundle.Manifest.Dataset.Items;

        FeaturizerInfo text;
        FeaturizerInfo image;
        using (var textFeaturizer = new TextFeaturizer())
        using (var imageFeaturizer = new ImageFeaturizer())
        {
            text = textFeaturizer.Info;
            image = imageFeaturizer.Info;
        }

        var random = new Random(13);
        var features = new DatasetFeaturizer.ContentFeatures(RandomRows(random, items, text.Dimension), RandomRows(random, items, image.Dimension), [], TimeSpan.Zero, TimeSpan.Zero);
        DatasetFeaturizer.WriteFeatureFiles(dataset, features, items, text, image, name: "featurized");

        InteractionDataset loaded = DatasetLoader.Load(dataset);
        var config = new RunConfig
        {
            Backbone = "bpr",
            Items = "motor",
            EmbeddingSize = 16,
            CentroidCount = 16,
            Encoder = new MotorEncoderOptions { Dimension = 16, CrossLayers = 1 },
            Training = new TrainingOptions { MaxEpochs = 3, Patience = 3, BatchSize = 1024, LearningRate = 5e-3, Seed = 13 },
        };
        string run = Path.Combine(root, "run");
        string bundle = Path.Combine(root, "bundle");
        TrainingRun.Execute(loaded, config, TorchDevice.CpuDevice, run);
        return BundleExporter.Export(TrainingRunDirectory.Load(run), loaded, bundle).Bundle;
    }

    private static float[] RandomRows(Random random, int rows, int columns)
        => [.. Enumerable.Range(0, rows * columns).Select(_ => (float)random.NextDouble() + 0.01f)];
}
