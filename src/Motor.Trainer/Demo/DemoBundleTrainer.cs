using Motor.Core.Bundles;
using Motor.Core.Datasets;
using Motor.Trainer.Devices;
using Motor.Trainer.Export;
using Motor.Trainer.Native;
using Motor.Trainer.Training;

namespace Motor.Trainer.Demo;

/// <summary>
/// The demo model: a small MOTOR BPR model trained on CPU on the generated <see cref="DemoDataset"/>. Its bundle is the one
/// the service serves without configuration (Motor:DemoBundlePath, made by <c>motor-trainer demo-bundle</c>); the
/// API tests train the same configuration on a smaller dataset.
/// </summary>
public static class DemoBundleTrainer
{
    public static RunConfig DemoConfig { get; } = new()
    {
        Backbone = "bpr",
        Items = "motor",
        EmbeddingSize = 32,
        SubspaceCount = 8,
        CentroidCount = 32,
        // Token dropout 0.5: the training recipe chosen on tiktok's validation for new items (docs/RESULTS.md).
        Encoder = new Trainer.Items.MotorEncoderOptions { Dimension = 32, CrossLayers = 1, TokenDropout = 0.5 },
        Training = new TrainingOptions { MaxEpochs = 40, Patience = 8, BatchSize = 1024, LearningRate = 5e-3, Seed = 999 },
    };

    /// <summary>Generates the demo dataset under <paramref name="workDirectory"/>, trains there and exports the bundle to <paramref name="bundlePath"/>.</summary>
    public static ExportResult Build(string workDirectory, string bundlePath, Action<string> log, CancellationToken cancellationToken)
    {
        TorchNativeFix.EnsureApplied();
        string datasetPath = Path.Combine(workDirectory, DemoDataset.Name);
        DemoDataset.Write(datasetPath);
        InteractionDataset dataset = DatasetLoader.Load(datasetPath);
        string runDirectory = Path.Combine(workDirectory, "run");
        Train(dataset, runDirectory, log, cancellationToken);
        return BundleExporter.Export(TrainingRunDirectory.Load(runDirectory), dataset, bundlePath, overwrite: true, log);
    }

    /// <summary>Trains on <paramref name="datasetPath"/> into the run folder <paramref name="runDirectory"/>, then exports the bundle to <paramref name="bundlePath"/>.</summary>
    public static ModelBundle TrainAndExport(string datasetPath, string runDirectory, string bundlePath, Action<string> log, CancellationToken cancellationToken)
    {
        // Before the first torch call in this process (the GLIBCXX fix of ENVIRONMENT.md).
        TorchNativeFix.EnsureApplied();
        InteractionDataset dataset = DatasetLoader.Load(datasetPath);
        Train(dataset, runDirectory, log, cancellationToken);
        return Export(runDirectory, dataset, bundlePath, log);
    }

    private static void Train(InteractionDataset dataset, string runDirectory, Action<string> log, CancellationToken cancellationToken)
    {
        log($"dataset '{dataset.Name}': {dataset.UserCount} users, {dataset.ItemCount} items, {dataset.InteractionCount} interactions, modalities {string.Join(", ", dataset.Modalities.Select(modality => $"{modality.Name} ({modality.Dimension})"))}");
        TorchDevice device = TorchDevice.Resolve("cpu", log);
        RunMetrics metrics = TrainingRun.Execute(dataset, DemoConfig, device, runDirectory, onEpoch: report =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (report.Epoch % 10 == 0)
            {
                log($"epoch {report.Epoch}/{report.MaxEpochs}: loss {report.Loss:0.0000}, valid {DemoConfig.Training.ValidMetric} {report.ValidMetric:0.0000} (best {report.BestValidMetric:0.0000} at epoch {report.BestEpoch})");
            }
        }, log: log);
        log($"trained {metrics.Epochs} epochs (best {metrics.BestEpoch}) in {metrics.SecondsTotal:0.0} s; test {string.Join(", ", metrics.Test.Where(pair => pair.Key.EndsWith("@20", StringComparison.Ordinal)).Select(pair => $"{pair.Key} {pair.Value:0.0000}"))}");
    }

    /// <summary>Exports the run folder <paramref name="runDirectory"/> (trained on <paramref name="datasetPath"/>) to <paramref name="bundlePath"/>.</summary>
    public static ModelBundle Export(string runDirectory, string datasetPath, string bundlePath, Action<string> log)
    {
        TorchNativeFix.EnsureApplied();
        return Export(runDirectory, DatasetLoader.Load(datasetPath), bundlePath, log);
    }

    private static ModelBundle Export(string runDirectory, InteractionDataset dataset, string bundlePath, Action<string> log)
    {
        ExportResult result = BundleExporter.Export(TrainingRunDirectory.Load(runDirectory), dataset, bundlePath, overwrite: true, log);
        log($"exported bundle {result.Bundle.Manifest.Version} ({result.Bundle.ItemCount} items, vectors {result.Bundle.VectorSize}); ONNX encoder max abs difference to TorchSharp {result.EncoderMaxAbsDifference:E2}");
        return result.Bundle;
    }
}
