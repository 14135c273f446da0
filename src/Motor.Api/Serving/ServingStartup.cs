using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Api.Storage;

namespace Motor.Api.Serving;

/// <summary>
/// Brings the service up in the background so that /health/live answers at once: start the store (replay or sync),
/// find the bundle (configured, or the demo bundle of Motor:DemoBundlePath), load and warm it up. Readiness turns
/// healthy at the end. A bundle that cannot be loaded yet (a pod that starts before the trainer has written it, a
/// volume still being filled) is tried again with backoff until it loads or an admin reload loads another; readiness
/// and the log say what is wrong and when the next try is.
/// </summary>
public sealed class ServingStartup(
    IItemStore store,
    ModelHost host,
    IOptions<MotorOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<ServingStartup> logger) : BackgroundService
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longestRetry = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Only once the server listens: a process that cannot bind its port never touches the store.
            host.SetStatus("starting");
            var started = new TaskCompletionSource();
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken);
            }

            host.SetStatus($"starting the {store.Kind} store");
            await store.StartAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (StoreStartException exception)
        {
            // Held by another process, or damaged inside: refuse to start, in one line naming the file and what to do.
            Console.Error.WriteLine($"motor-api: {exception.Message}");
            logger.LogCritical("The service refuses to start: {Reason}", exception.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return;
        }
        catch (Exception exception)
        {
            host.SetStatus($"the {store.Kind} store could not start: {exception.Message}");
            logger.LogCritical(exception, "The service could not start serving: {Reason}", exception.Message);
            return;
        }

        string? bundlePath = options.Value.BundlePath;
        if (string.IsNullOrWhiteSpace(bundlePath))
        {
            bundlePath = Path.GetFullPath(options.Value.DemoBundlePath);
            logger.LogInformation(
                "No bundle configured (Motor:BundlePath is empty): serving the demo bundle {DemoBundlePath}, a small model on a synthetic dataset made by motor-trainer demo-bundle (./run-demo.sh makes it when missing). Set Motor:BundlePath to a bundle exported by motor-trainer",
                bundlePath);
        }

        await LoadUntilServingAsync(bundlePath, stoppingToken);
    }

    private async Task LoadUntilServingAsync(string bundlePath, CancellationToken stoppingToken)
    {
        string bundleName = ModelHost.BundleName(bundlePath);
        TimeSpan delay = s_firstRetry;
        string? lastReason = null;
        for (int attempt = 1; host.Current is null && !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await host.LoadAsync(bundlePath, stoppingToken);
                if (attempt > 1)
                {
                    logger.LogInformation("Bundle {BundleName} loaded at attempt {Attempt}", bundleName, attempt);
                }

                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Callers of /health/ready see the bundle's name, not the server's paths.
                string reason = ModelHost.HidePath(exception.Message, bundlePath, bundleName);
                if (host.Current is null)
                {
                    host.SetStatus($"no model loaded: bundle '{bundleName}' cannot be loaded yet ({reason}); attempt {attempt}, next in {delay.TotalSeconds:0} s");
                }

                // Once per distinct reason: a pod waiting for its bundle would otherwise log every few seconds.
                if (reason != lastReason)
                {
                    logger.LogWarning("Bundle {BundlePath} cannot be loaded yet ({Reason}); retrying with backoff up to every {LongestRetrySeconds} s until it loads or an admin reload loads another", bundlePath, exception.Message, s_longestRetry.TotalSeconds);
                    lastReason = reason;
                }
            }

            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_longestRetry.Ticks));
        }
    }
}
