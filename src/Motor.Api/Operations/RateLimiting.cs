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
/// per minute per address (guessing keys is slow). Probes and scrapes (/health, /metrics) are never limited. Rejections
/// are 429 problem+json with Retry-After. Behind a proxy, forward the client address (ForwardedHeaders) or every
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
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics"))
                {
                    return RateLimitPartition.GetNoLimiter(string.Empty);
                }

                string? fingerprint = context.User.FindFirst(ApiKeyAuthenticationHandler.FingerprintClaim)?.Value;
                if (fingerprint is not null)
                {
                    return Window($"key:{fingerprint}", options.PermitLimit, options.WindowSeconds);
                }

                string address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName)
                    ? Window($"failed-key:{address}", options.FailedKeyPermitLimit, 60)
                    : Window($"anonymous:{address}", options.AnonymousPermitLimit, options.WindowSeconds);
            });
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                HttpContext context = rejected.HttpContext;
                bool keyed = context.User.FindFirst(ApiKeyAuthenticationHandler.FingerprintClaim) is not null;
                bool failedKey = !keyed && context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName);
                int window = failedKey ? 60 : options.WindowSeconds;
                int retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : window;
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                string who = keyed
                    ? $"this API key may make {options.PermitLimit} requests per {options.WindowSeconds} s"
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

    private static RateLimitPartition<string> Window(string partition, int permits, int windowSeconds)
        => RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromSeconds(windowSeconds),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}
