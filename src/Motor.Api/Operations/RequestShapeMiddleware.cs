using Microsoft.AspNetCore.Mvc;

namespace Motor.Api.Operations;

/// <summary>
/// Checks a request's shape before anything else runs, so that every rejection is problem+json in the caller's terms:
/// a request target (path and query) over <see cref="MaxTargetBytes"/> is 414 and headers over
/// <see cref="MaxHeaderBytes"/> are 431 (Kestrel's own limits are set 8x higher, because Kestrel answers those with an
/// empty body); a user or item ID in the route that breaks the ID rule (<see cref="Problems.IdProblem"/>) is 400.
/// Only a request Kestrel cannot parse at all (a broken request line) still gets its bare 400.
/// </summary>
public sealed class RequestShapeMiddleware(RequestDelegate next, IProblemDetailsService problems)
{
    public const int MaxTargetBytes = 8 * 1024;
    public const int MaxHeaderBytes = 32 * 1024;

    private static readonly (string RouteValue, string IdName)[] s_idRouteValues = [("userId", "user ID"), ("itemId", "item ID")];

    public async Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        int target = request.PathBase.Value!.Length + request.Path.Value!.Length + request.QueryString.Value!.Length;
        if (target > MaxTargetBytes)
        {
            await RejectAsync(context, StatusCodes.Status414UriTooLong, "The request target is too long", $"the path and query hold {target} characters, more than {MaxTargetBytes}");
            return;
        }

        long headers = 0;
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            headers += header.Key.Length + header.Value.Sum(value => (value?.Length ?? 0) + 4);
        }

        if (headers > MaxHeaderBytes)
        {
            await RejectAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "The request headers are too large", $"the headers hold about {headers} bytes, more than {MaxHeaderBytes}");
            return;
        }

        foreach ((string routeValue, string idName) in s_idRouteValues)
        {
            if (request.RouteValues.TryGetValue(routeValue, out object? value) && Problems.IdProblem(value as string, idName) is { } problem)
            {
                await Problems.Invalid(routeValue, problem).ExecuteAsync(context);
                return;
            }
        }

        await next(context);
    }

    private Task RejectAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }
}
