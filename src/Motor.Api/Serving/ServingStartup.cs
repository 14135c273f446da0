using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Api.Storage;

namespace Motor.Api.Serving;

/// <summary>
/// Brings the service up in the background so that /health/live answers at once: start the store (replay or sync),
/// find the bundle (configured, or the demo bundle shipped with the service), load and warm it up. Readiness turns
/// healthy at the end; a failure is reported by readiness and the log, and an admin reload can still load a bundle.
/// </summary>
public sealed class ServingStartup(
    IItemStore store,
    ModelHost host,
    IOptions<MotorOptions> options,
    ILogger<ServingStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            host.SetStatus($"starting the {store.Kind} store");
            await store.StartAsync(stoppingToken);

            string? bundlePath = options.Value.BundlePath;
            if (string.IsNullOrWhiteSpace(bundlePath))
            {
                bundlePath = DemoBundle.ShippedPath;
                logger.LogInformation(
                    "No bundle configured (Motor:BundlePath is empty): serving the demo bundle shipped with the service, a small model on a synthetic dataset. Set Motor:BundlePath to a bundle exported by motor-trainer");
            }

            await host.LoadAsync(bundlePath, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            if (host.Current is null)
            {
                host.SetStatus($"start failed: {exception.Message}");
            }

            logger.LogCritical(exception, "The service could not start serving: {Reason}", exception.Message);
        }
    }
}
