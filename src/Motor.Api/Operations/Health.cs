using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Motor.Api.Serving;
using Motor.Api.Storage;

namespace Motor.Api.Operations;

/// <summary>Ready when a bundle is loaded and warmed up (the host swaps a model in only after its warm-up).</summary>
public sealed class ModelHealthCheck(ModelHost host) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(host.Current is { } model
            ? HealthCheckResult.Healthy($"model {model.Version} loaded and warmed up, {model.CatalogSize} items")
            : HealthCheckResult.Unhealthy(host.Status));
}

/// <summary>
/// The store's state, never a reason to take the replica out: reads are served from the in-process copy either way, so a
/// store that refuses writes (Redis down) is Degraded (readiness stays 200, the body and motor_store_up say so, writes
/// answer 503 with Retry-After until it is back).
/// </summary>
public sealed class StoreHealthCheck(IItemStore store, ApiMetrics metrics) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        StoreHealth health = await store.CheckHealthAsync(cancellationToken);
        metrics.SetStoreUp(health.Healthy);
        return health.Healthy
            ? HealthCheckResult.Healthy(health.Description)
            : HealthCheckResult.Degraded($"{health.Description}; reads are served, writes answer 503 until the store is back");
    }
}

/// <summary>Degraded while the bundle watcher waits for a changed bundle on disk (the live model is still served).</summary>
public sealed class BundleHealthCheck(BundleWatchState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(state.Waiting is { } waiting
            ? HealthCheckResult.Degraded(waiting)
            : HealthCheckResult.Healthy("no changed bundle waiting"));
}

public static class HealthResponse
{
    private static string? s_lastReadiness;

    /// <summary>{"status": "...", "checks": {"model": {"status", "description"}, ...}}; a change of readiness is logged once.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        if (context.Request.Path.StartsWithSegments("/health/ready"))
        {
            LogChange(context, report);
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(entry => entry.Key, entry => new { status = entry.Value.Status.ToString(), description = entry.Value.Description }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JsonSerializerOptions.Web);
    }

    private static void LogChange(HttpContext context, HealthReport report)
    {
        string state = $"{report.Status}: {string.Join("; ", report.Entries.Where(entry => entry.Value.Status != HealthStatus.Healthy).Select(entry => $"{entry.Key} {entry.Value.Status} ({entry.Value.Description})"))}";
        if (Interlocked.Exchange(ref s_lastReadiness, state) == state)
        {
            return;
        }

        ILogger logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Motor.Api.Readiness");
        if (report.Status == HealthStatus.Healthy)
        {
            logger.LogInformation("Readiness is Healthy");
        }
        else
        {
            logger.LogWarning("Readiness is {Readiness}", state);
        }
    }
}
