using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;

namespace Motor.Api.Operations;

/// <summary>Counts every request by method, route template (not the raw path: bounded label values) and status, with its latency.</summary>
public sealed class RequestMetricsMiddleware(RequestDelegate next, ApiMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            // After an exception the handler clears the endpoint; its feature keeps the original one.
            Endpoint? endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
            string route = ApiMetrics.RouteOf(endpoint) ?? "unmatched";
            metrics.RecordRequest(context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }
}
