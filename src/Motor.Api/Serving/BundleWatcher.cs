using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Core.Bundles;

namespace Motor.Api.Serving;

/// <summary>
/// Motor:WatchBundle: reloads the served bundle when its manifest.json changes (a link switched to a new folder, or a
/// folder updated underneath). Polling, not file-system events, because it also works on network and container volumes.
/// A changed bundle is loaded only once every file its manifest lists is present at its size (a bundle copied file by
/// file is picked up within a quarter second of the copy's end); one that then fails to load is retried with backoff
/// (1, 2, 4 ... 30 s), logged once. The live model stays throughout; <see cref="BundleWatchState"/> shows the wait on
/// /health/ready and /metrics.
/// </summary>
public sealed class BundleWatcher(ModelHost host, BundleWatchState state, IOptions<MotorOptions> options, ILogger<BundleWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan s_incompleteRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_firstFailureRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longestFailureRetry = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.WatchBundle)
        {
            return;
        }

        TimeSpan interval = TimeSpan.FromMilliseconds(options.Value.WatchIntervalMilliseconds);
        string? failedHash = null;
        TimeSpan failureBackoff = s_firstFailureRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan delay = interval;
            if (host.Current is { } model && host.BundlePath is { } path)
            {
                string folder = BundleLink.Resolve(path);
                string? hash = TryHashManifest(folder);
                if (hash is null || hash == model.ManifestSha256)
                {
                    state.Clear();
                }
                else if (Incomplete(folder) is { } missing)
                {
                    state.Wait($"the changed bundle '{ModelHost.BundleName(folder)}' is incomplete on disk ({missing}); still serving {model.Version}");
                    delay = TimeSpan.FromTicks(Math.Min(interval.Ticks, s_incompleteRetry.Ticks));
                }
                else
                {
                    if (hash != failedHash)
                    {
                        failureBackoff = s_firstFailureRetry;
                        logger.LogInformation("Bundle {BundlePath} changed on disk; reloading", path);
                    }

                    try
                    {
                        await host.LoadAsync(path, stoppingToken);
                        failedHash = null;
                        state.Clear();
                    }
                    catch (Exception exception) when (exception is BundleException or IOException or InvalidDataException or ArgumentException or InvalidOperationException)
                    {
                        if (hash != failedHash)
                        {
                            logger.LogError("Reloading the changed bundle {BundlePath} failed, still serving {ModelVersion}; retrying with backoff: {Reason}", path, model.Version, exception.Message);
                        }

                        failedHash = hash;
                        state.Wait($"the changed bundle '{ModelHost.BundleName(folder)}' cannot be loaded ({ModelHost.HidePath(exception.Message, path, ModelHost.BundleName(folder))}); still serving {model.Version}, next try in {failureBackoff.TotalSeconds:0} s");
                        delay = failureBackoff;
                        failureBackoff = TimeSpan.FromTicks(Math.Min(failureBackoff.Ticks * 2, s_longestFailureRetry.Ticks));
                    }
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
        }
    }

    private static string? TryHashManifest(string folder)
    {
        try
        {
            return ServingModel.HashManifest(folder);
        }
        catch (IOException)
        {
            // Missing while a new bundle is being moved into place: look again on the next tick.
            return null;
        }
    }

    /// <summary>What is still missing of the bundle's files (by presence and size, no hashing), or null when all are there.</summary>
    private static string? Incomplete(string folder)
    {
        BundleManifest manifest;
        try
        {
            manifest = BundleManifestSerializer.Deserialize(File.ReadAllBytes(Path.Combine(folder, BundleFileNames.Manifest)), BundleFileNames.Manifest);
        }
        catch (Exception exception) when (exception is IOException or BundleException)
        {
            return "manifest.json is not complete";
        }

        int complete = manifest.Files.Count(file => new FileInfo(Path.Combine(folder, file.Path)) is { Exists: true } info && info.Length == file.Bytes);
        return complete == manifest.Files.Count ? null : $"{complete} of {manifest.Files.Count} files complete";
    }
}

/// <summary>Whether the watcher is waiting for a changed bundle on disk (shown by /health/ready and /metrics).</summary>
public sealed class BundleWatchState
{
    private volatile string? _waiting;

    public string? Waiting => _waiting;

    public void Wait(string reason) => _waiting = reason;

    public void Clear() => _waiting = null;
}
