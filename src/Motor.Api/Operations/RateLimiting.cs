using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Motor.Api.Configuration;

namespace Motor.Api.Operations;

/// <summary>
/// Limits for everyone, in one partitioned limiter: requests with a valid API key get <see cref="RateLimitOptions.PermitLimit"/>
/// per window per key (by the key's fingerprint); anonymous requests get <see cref="RateLimitOptions.AnonymousPermitLimit"/>
/// per window per client address; requests with an invalid key get <see cref="RateLimitOptions.FailedKeyPermitLimit"/>
/// per minute per address (guessing keys is slow); anonymous batch calls also spend from
/// <see cref="RateLimitOptions.AnonymousBatchPermitLimit"/>, and all batch calls share a few concurrent slots (half the
/// cores, a short queue). Probes and scrapes (/health, /metrics) are never limited. Rejections are 429 problem+json with
/// Retry-After, answered after a second so that a caller that ignores them cannot make refusals the load. Behind a proxy, forward the client address (ForwardedHeaders) or every
/// caller shares the proxy's budget.
/// </summary>
public static class RateLimiting
{
    public static IServiceCollection AddPerKeyRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<Microsoft.Extensions.Options.IOptions<MotorOptions>>((limiter, motor) =>
        {
            RateLimitOptions options = motor.Value.RateLimit;
            // Chained: every request spends from its caller's budget; a batch call (up to Motor:MaxBatchResults results,
            // a thousand times a single read) also from the anonymous batch budget, and it waits for one of the few
            // batch slots, so that batch work never takes every core from the other callers.
            int batchSlots = Math.Max(1, Environment.ProcessorCount / 2);
            // The slots come first: the middleware tries once without waiting and then waits, so a limiter after a
            // full one would be charged twice; a fixed window before the slots would spend a permit on every wait.
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    IsBatch(context)
                        ? RateLimitPartition.GetConcurrencyLimiter("batch-slots", _ => new ConcurrencyLimiterOptions { PermitLimit = batchSlots, QueueLimit = 4 * batchSlots, QueueProcessingOrder = QueueProcessingOrder.OldestFirst })
                        : RateLimitPartition.GetNoLimiter(string.Empty)),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                {
                    if (IsProbe(context))
                    {
                        return RateLimitPartition.GetNoLimiter(string.Empty);
                    }

                    string? fingerprint = Fingerprint(context);
                    if (fingerprint is not null)
                    {
                        return Window($"key:{fingerprint}", options.PermitLimit, options.WindowSeconds);
                    }

                    return context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName)
                        ? Window($"failed-key:{Address(context)}", options.FailedKeyPermitLimit, 60)
                        : Window($"anonymous:{Address(context)}", options.AnonymousPermitLimit, options.WindowSeconds);
                }),
                PartitionedRateLimiter.Create<HttpContext, string>(context =>
                    IsBatch(context) && Fingerprint(context) is null
                        ? Window($"anonymous-batch:{Address(context)}", options.AnonymousBatchPermitLimit, options.WindowSeconds)
                        : RateLimitPartition.GetNoLimiter(string.Empty)));

            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                HttpContext context = rejected.HttpContext;

                // A caller that ignores 429 and asks again at once would turn refusals into the load: the answer
                // comes after a second, so each connection asks at most once a second while refused.
                try
                {
                    await Task.Delay(s_refusalDelay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return; // the caller is gone
                }
                bool keyed = context.User.FindFirst(ApiKeyAuthenticationHandler.FingerprintClaim) is not null;
                bool failedKey = !keyed && context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName);
                int window = failedKey ? 60 : options.WindowSeconds;
                int retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : window;
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                string who = IsBatch(context) && !rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out _)
                    ? "every batch slot is busy"
                    : keyed
                    ? $"this API key may make {options.PermitLimit} requests per {options.WindowSeconds} s"
                    : IsBatch(context) && !failedKey
                    ? $"anonymous callers may make {options.AnonymousBatchPermitLimit} batch calls per {options.WindowSeconds} s per address (and {options.AnonymousPermitLimit} requests in all); an API key has its own budget"
                    : failedKey
                        ? $"too many requests with an invalid {ApiKeyAuthenticationHandler.HeaderName} from this address ({options.FailedKeyPermitLimit} per minute)"
                        : $"anonymous callers may make {options.AnonymousPermitLimit} requests per {options.WindowSeconds} s per address; an API key has its own budget";
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Rate limit exceeded",
                        Detail = $"{who}; retry after {retryAfter} s",
                    },
                });
            };
        });
        return services;
    }

    private static readonly TimeSpan s_refusalDelay = TimeSpan.FromSeconds(1);

    private static bool IsProbe(HttpContext context)
        => context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics");

    private static bool IsBatch(HttpContext context)
        => HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/v1/recommendations/batch");

    private static string? Fingerprint(HttpContext context) => context.User.FindFirst(ApiKeyAuthenticationHandler.FingerprintClaim)?.Value;

    private static string Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static RateLimitPartition<string> Window(string partition, int permits, int windowSeconds)
        => RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromSeconds(windowSeconds),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}
