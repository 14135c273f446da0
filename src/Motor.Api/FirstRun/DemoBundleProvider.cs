using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Core.Bundles;

namespace Motor.Api.FirstRun;

/// <summary>
/// The first-run bundle: with no Motor:BundlePath, the service trains a small MOTOR model in process (on Motor:DataPath,
/// or on a generated synthetic multimodal dataset), exports a bundle under Motor:DemoBundleDirectory and serves it. The
/// bundle is cached there and reused on the next start.
/// </summary>
public sealed class DemoBundleProvider(IOptions<MotorOptions> options, ILogger<DemoBundleProvider> logger)
{
    public async Task<string> EnsureAsync(CancellationToken cancellationToken)
    {
        MotorOptions settings = options.Value;
        string root = Path.GetFullPath(settings.DemoBundleDirectory);
        string? dataPath = string.IsNullOrWhiteSpace(settings.DataPath) ? null : Path.GetFullPath(settings.DataPath);
        string key = dataPath is null ? "synthetic" : $"{Path.GetFileName(dataPath.TrimEnd(Path.DirectorySeparatorChar))}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dataPath)))[..8]}";
        string bundlePath = Path.Combine(root, key, $"demo-{key}-motor-bpr");
        if (File.Exists(Path.Combine(bundlePath, BundleFileNames.Manifest)))
        {
            try
            {
                ModelBundleReader.Load(bundlePath);
                logger.LogInformation("No bundle configured (Motor:BundlePath is empty): reusing the first-run bundle {BundlePath} built earlier", bundlePath);
                return bundlePath;
            }
            catch (BundleException exception)
            {
                logger.LogWarning("The cached first-run bundle cannot be used ({Reason}); building it again", exception.Message);
            }
        }

        string datasetPath = dataPath ?? Path.Combine(root, key, "dataset");
        if (dataPath is null && !File.Exists(Path.Combine(datasetPath, $"{DemoDataset.Name}.inter")))
        {
            DemoDataset.Write(datasetPath);
            logger.LogInformation("Generated the synthetic multimodal demo dataset in {DatasetPath}", datasetPath);
        }

        logger.LogInformation(
            "No bundle configured (Motor:BundlePath is empty): training a small MOTOR model on {DatasetPath} and exporting a bundle to {BundlePath}; this happens once, later starts reuse it. Set Motor:BundlePath to serve a bundle trained with Motor.Trainer",
            datasetPath, bundlePath);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await Task.Run(() => DemoBundleTrainer.TrainAndExport(datasetPath, Path.Combine(root, key, "run"), bundlePath, message => logger.LogInformation("Trainer: {TrainerMessage}", message), cancellationToken), cancellationToken);
        logger.LogInformation("First-run bundle ready in {TrainSeconds:0.0} s: {BundlePath}", stopwatch.Elapsed.TotalSeconds, bundlePath);
        return bundlePath;
    }
}
