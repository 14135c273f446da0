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

/// <summary>Ready when the store accepts writes (reads are served from the in-process copy either way).</summary>
public sealed class StoreHealthCheck(IItemStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        StoreHealth health = await store.CheckHealthAsync(cancellationToken);
        return health.Healthy ? HealthCheckResult.Healthy(health.Description) : HealthCheckResult.Unhealthy(health.Description);
    }
}

public static class HealthResponse
{
    /// <summary>{"status": "...", "checks": {"model": {"status", "description"}, ...}}.</summary>
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(entry => entry.Key, entry => new { status = entry.Value.Status.ToString(), description = entry.Value.Description }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JsonSerializerOptions.Web);
    }
}
