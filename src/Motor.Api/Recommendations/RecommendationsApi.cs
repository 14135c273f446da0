using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Api.OpenApi;
using Motor.Api.Operations;
using Motor.Api.Serving;

namespace Motor.Api.Recommendations;

public static class RecommendationsApi
{
    public static IEndpointRouteBuilder MapRecommendationsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/v1").WithTags("Recommendations");

        api.MapGet("/users/{userId}/recommendations", GetUserRecommendations)
            .WithName("GetUserRecommendations")
            .WithSummary("Top-k items for a user")
            .WithDescription("Scores every catalog item (trained and ingested) for the user. A user the model does not know gets recommendations from the mean vector of the items recorded through POST /v1/users/{userId}/interactions, or the most popular training items when there are none; `strategy` says which (no 404 for unknown users). `excludeSeen` leaves out the user's training items and recorded interactions.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.UserRecommendations)
            .WithResponseExample(StatusCodes.Status400BadRequest, ApiExamples.InvalidK);

        api.MapPost("/recommendations/batch", PostBatchRecommendations)
            .WithName("GetBatchRecommendations")
            .WithSummary("Top-k items for many users in one call")
            .WithDescription("The same rules as the single-user route, for up to Motor:MaxBatchUsers users; results in request order.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithRequestExample(ApiExamples.BatchRecommendationRequest)
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.BatchRecommendations);

        api.MapGet("/items/{itemId}/similar", GetSimilarItems)
            .WithName("GetSimilarItems")
            .WithSummary("Nearest items to an item")
            .WithDescription("Items with the highest inner product with the item's served vector (the item itself excluded), over trained and ingested items.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.SimilarItems)
            .WithResponseExample(StatusCodes.Status404NotFound, ApiExamples.UnknownItem);

        return app;
    }

    public static Results<Ok<RecommendationResponse>, ValidationProblem> GetUserRecommendations(
        string userId, Recommender recommender, IOptions<MotorOptions> options, ApiMetrics metrics, int k = 20, bool excludeSeen = true)
    {
        if (Problems.CheckK(k, options.Value) is { } invalid)
        {
            return invalid;
        }

        long start = Stopwatch.GetTimestamp();
        (ServingModel model, UserRecommendations result) = recommender.Recommend(userId, k, excludeSeen);
        metrics.RecordRecommendation("user", Stopwatch.GetElapsedTime(start).TotalSeconds);
        return TypedResults.Ok(RecommendationResponse.From(result, model.Version));
    }

    public static Results<Ok<BatchRecommendationResponse>, ValidationProblem, ProblemHttpResult> PostBatchRecommendations(
        BatchRecommendationRequest request, Recommender recommender, IOptions<MotorOptions> options, ApiMetrics metrics)
    {
        MotorOptions settings = options.Value;
        int k = request.K ?? 20;
        if (Problems.CheckK(k, settings) is { } invalid)
        {
            return invalid;
        }

        if (!Problems.IsValidIdList(request.UserIds, "userIds", settings.MaxBatchUsers, "user ID", out ValidationProblem? invalidUsers))
        {
            return invalidUsers;
        }

        // A cost cap, also for anonymous callers: 1,000 users x k 1,000 would be a 36 MB answer from a 7 KB request.
        if ((long)request.UserIds.Count * k > settings.MaxBatchResults)
        {
            return TypedResults.Problem(
                $"{request.UserIds.Count} users x k {k} = {(long)request.UserIds.Count * k} results, more than the {settings.MaxBatchResults} one call may ask for (Motor:MaxBatchResults); split the users or lower k",
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "The answer would be too large");
        }

        long start = Stopwatch.GetTimestamp();
        (ServingModel model, IReadOnlyList<UserRecommendations> results) = recommender.RecommendBatch(request.UserIds, k, request.ExcludeSeen ?? true);
        metrics.RecordRecommendation("batch", Stopwatch.GetElapsedTime(start).TotalSeconds);
        return TypedResults.Ok(new BatchRecommendationResponse(model.Version, k, [.. results.Select(result => RecommendationResponse.From(result, model.Version))]));
    }

    public static Results<Ok<SimilarItemsResponse>, ValidationProblem, ProblemHttpResult> GetSimilarItems(
        string itemId, Recommender recommender, IOptions<MotorOptions> options, ApiMetrics metrics, int k = 20)
    {
        if (Problems.CheckK(k, options.Value) is { } invalid)
        {
            return invalid;
        }

        long start = Stopwatch.GetTimestamp();
        (ServingModel model, IReadOnlyList<ScoredCatalogItem>? items) = recommender.Similar(itemId, k);
        if (items is null)
        {
            return Problems.NotFound("Item not found", $"item '{itemId}' is neither in model {model.Version} nor ingested");
        }

        metrics.RecordRecommendation("similar", Stopwatch.GetElapsedTime(start).TotalSeconds);
        return TypedResults.Ok(new SimilarItemsResponse(itemId, model.Version, [.. items.Select(item => new ScoredItemResponse(item.ItemId, item.Score))]));
    }
}
