using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Core.Bundles;

namespace Motor.Api.Serving;

/// <summary>
/// Motor:WatchBundle: reloads the served bundle when its manifest.json changes (a new bundle moved into the folder,
/// as ModelBundleWriter does, or a volume updated underneath). Polling, not file-system events, because it also works
/// on network and container volumes. A bundle that fails to load is logged once per manifest version; the live model stays.
/// </summary>
public sealed class BundleWatcher(ModelHost host, IOptions<MotorOptions> options, ILogger<BundleWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WatchBundle)
        {
            return;
        }

        string? failedHash = null;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.WatchIntervalMilliseconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (host.Current is not { } model || host.BundlePath is not { } path)
            {
                continue;
            }

            string hash;
            try
            {
                hash = ServingModel.HashManifest(path);
            }
            catch (IOException)
            {
                // Missing while a new bundle is being moved into place: look again on the next tick.
                continue;
            }

            if (hash == model.ManifestSha256 || hash == failedHash)
            {
                continue;
            }

            logger.LogInformation("Bundle {BundlePath} changed on disk; reloading", path);
            try
            {
                await host.LoadAsync(path, stoppingToken);
                failedHash = null;
            }
            catch (Exception exception) when (exception is BundleException or IOException or InvalidDataException or ArgumentException or InvalidOperationException)
            {
                failedHash = hash;
                logger.LogError("Reloading the changed bundle {BundlePath} failed, still serving {ModelVersion}: {Reason}", path, model.Version, exception.Message);
            }
        }
    }
}
