using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Motor.Api.Configuration;
using Motor.Api.Serving;
using Motor.Api.Storage;
using Motor.Core.Bundles;

namespace Motor.Api.Operations;

/// <summary>RFC 9457 problem details the endpoints return; every one names what was wrong.</summary>
public static class Problems
{
    public const string TypeBase = "https://github.com/motor-service/problems/";

    public static ProblemHttpResult NotFound(string title, string detail)
        => TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: title);

    public static ProblemHttpResult Conflict(string type, string title, string detail, IDictionary<string, object?>? extensions = null)
        => TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: title, type: TypeBase + type, extensions: extensions);

    public static ValidationProblem Invalid(Dictionary<string, string[]> errors)
        => TypedResults.ValidationProblem(errors, detail: string.Join("; ", errors.Select(error => $"{error.Key}: {string.Join(", ", error.Value)}")), title: "The request is not valid");

    public static ValidationProblem Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>A list in a request body holds 1..<paramref name="max"/> entries: the same rule for every batch route.</summary>
    public static bool HasValidCount<T>([NotNullWhen(true)] IReadOnlyCollection<T>? values, string field, int max, string entries, [NotNullWhen(false)] out ValidationProblem? problem)
    {
        problem = values is null || values.Count == 0 || values.Count > max
            ? Invalid(field, $"must hold 1 to {max} {entries}, got {values?.Count ?? 0}")
            : null;
        return problem is null;
    }

    /// <summary>Longest user or item ID.</summary>
    public const int MaxIdLength = 256;

    /// <summary>The one rule for user and item IDs, in routes and bodies alike: null when valid, else what is wrong.</summary>
    public static string? IdProblem(string? id, string idName)
        => string.IsNullOrWhiteSpace(id) ? $"must be a non-empty {idName}"
            : id.Length > MaxIdLength || id.Any(char.IsControl) || id.Trim().Length != id.Length
                ? $"must be a {idName} of at most {MaxIdLength} characters without control characters or surrounding white space"
                : null;

    /// <summary>A list of user or item IDs: 1..<paramref name="max"/> entries, each a valid ID.</summary>
    public static bool IsValidIdList([NotNullWhen(true)] List<string>? ids, string field, int max, string idName, [NotNullWhen(false)] out ValidationProblem? problem)
    {
        if (!HasValidCount(ids, field, max, idName + "s", out problem))
        {
            return false;
        }

        int bad = ids.FindIndex(id => IdProblem(id, idName) is not null);
        problem = bad >= 0 ? Invalid($"{field}[{bad}]", IdProblem(ids[bad], idName)!) : null;
        return problem is null;
    }

    /// <summary>k must be within 1..MaxK: the same rule for every top-k route.</summary>
    public static ValidationProblem? CheckK(int k, MotorOptions options)
        => k < 1 || k > options.MaxK ? Invalid("k", $"must be between 1 and {options.MaxK}, got {k}") : null;
}

/// <summary>
/// Turns exceptions into problem details: framework rejections of the request (malformed JSON naming the JSON path, a
/// parameter that does not bind, a wrong content type, a body over the limit), the store being down (503 with
/// Retry-After), no model loaded yet (503), anything else 500 without internals.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problemDetails, Microsoft.Extensions.Options.IOptions<MotorOptions> options, ApiMetrics metrics, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        (int status, string title, string detail) = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } => (StatusCodes.Status400BadRequest, "The request body is not valid JSON for this route", JsonErrors.Describe(json)),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge, "The request body is too large", $"the body exceeds the limit of {options.Value.MaxBodyBytes} bytes (Motor:MaxBodyBytes)"),
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == StatusCodes.Status415UnsupportedMediaType ? "Unsupported media type" : "The request is not valid", bad.Message),
            StoreUnavailableException store => (StatusCodes.Status503ServiceUnavailable, "The store is unavailable", $"{store.Message}; reads keep working, retry the write later"),
            ModelNotReadyException notReady => (StatusCodes.Status503ServiceUnavailable, "No model is loaded yet", notReady.Status),
            BundleException bundle => (StatusCodes.Status422UnprocessableEntity, "The bundle cannot be loaded", bundle.Message),
            _ => (StatusCodes.Status500InternalServerError, "Unexpected error", "the server failed to handle the request; the trace ID identifies it in the logs"),
        };

        if (status >= 500 && exception is StoreUnavailableException or ModelNotReadyException)
        {
            httpContext.Response.Headers.RetryAfter = options.Value.Store.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (exception is StoreUnavailableException)
        {
            Endpoint? endpoint = httpContext.GetEndpoint() ?? httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.Features.Get<IExceptionHandlerPathFeature>()?.Endpoint;
            metrics.RecordStoreError($"{httpContext.Request.Method} {ApiMetrics.RouteOf(endpoint) ?? httpContext.Request.Path.Value}");
            logger.LogWarning("Write refused, store unavailable: {Reason}", exception.Message);
        }
        else if (status == StatusCodes.Status500InternalServerError)
        {
            logger.LogError(exception, "Unhandled exception");
        }

        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
