using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Motor.Api.OpenApi;
using Motor.Api.Operations;
using Motor.Api.Serving;
using Motor.Core.Bundles;

namespace Motor.Api.Model;

public sealed record ModelResponse(
    string Version,
    string Bundle,
    DateTimeOffset LoadedAt,
    int Users,
    int TrainedItems,
    int IngestedItems,
    int VectorSize,
    bool CanIngest,
    string? ExecutionProvider,
    BundleManifest Manifest);

public sealed record ReloadRequest
{
    /// <summary>Bundle folder to load; omitted: the folder of the served bundle again (e.g. after it was replaced on disk).</summary>
    public string? BundlePath { get; init; }
}

public sealed record ReloadResponse(string PreviousVersion, string Version, string BundlePath, long LoadMilliseconds);

public static class ModelApi
{
    public static IEndpointRouteBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/v1").WithTags("Model");

        api.MapGet("/model", GetModel)
            .WithName("GetModel")
            .WithSummary("The served model bundle")
            .WithDescription("The active bundle's manifest (dataset, modalities, quantization, backbone, metrics, file checksums) and serving state.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.Model);

        api.MapPost("/admin/model/reload", ReloadModel)
            .RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName)
            .WithName("ReloadModel")
            .WithSummary("Load a bundle beside the live one and swap atomically")
            .WithDescription("Loads and verifies the bundle (checksums, shapes), warms it up, gives it every ingested item, then swaps it in; requests in flight finish on the old model, none fails. A bundle that does not load answers 422 naming the file and the problem, and the live model stays. Needs X-Api-Key.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithRequestExample(ApiExamples.ReloadRequest)
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.ReloadResponse);

        return app;
    }

    public static Ok<ModelResponse> GetModel(ModelHost host)
    {
        ServingModel model = host.Require();
        return TypedResults.Ok(new ModelResponse(
            model.Version,
            ModelHost.BundleName(model.Bundle.DirectoryPath),
            model.LoadedAt,
            model.Bundle.UserCount,
            model.TrainedItemCount,
            model.IngestedItemCount,
            model.VectorSize,
            model.CanIngest,
            model.ExecutionProvider,
            model.Manifest));
    }

    public static async Task<Results<Ok<ReloadResponse>, ProblemHttpResult>> ReloadModel(ReloadRequest? request, ModelHost host, CancellationToken cancellationToken)
    {
        string previous = host.Current?.Version ?? "none";
        string? path = string.IsNullOrWhiteSpace(request?.BundlePath) ? host.BundlePath : request.BundlePath;
        if (path is null)
        {
            return TypedResults.Problem("no bundle is served yet and the request names none (bundlePath)", statusCode: StatusCodes.Status422UnprocessableEntity, title: "The bundle cannot be loaded");
        }

        var stopwatch = Stopwatch.StartNew();
        ServingModel model;
        try
        {
            model = await host.LoadAsync(path, cancellationToken);
        }
        catch (Exception exception) when (exception is BundleException or IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            // In the caller's terms: the path as they gave it, never the server's resolution of it.
            string detail = exception is DirectoryNotFoundException or FileNotFoundException
                ? $"no bundle at '{path}' (its folder or manifest.json does not exist on the server)"
                : ModelHost.HidePath(exception.Message, path, path);
            return TypedResults.Problem(detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: "The bundle cannot be loaded");
        }

        return TypedResults.Ok(new ReloadResponse(previous, model.Version, path, stopwatch.ElapsedMilliseconds));
    }
}
