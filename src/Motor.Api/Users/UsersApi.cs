using Microsoft.AspNetCore.Http.HttpResults;
using Motor.Api.OpenApi;
using Motor.Api.Operations;
using Motor.Api.Serving;
using Motor.Api.Storage;

namespace Motor.Api.Users;

public sealed record InteractionsRequest
{
    /// <summary>External IDs of items the user consumed (trained or ingested).</summary>
    public List<string>? ItemIds { get; init; }
}

/// <summary>After recording: how this user's recommendations are made from now on.</summary>
public sealed record InteractionsResponse(string UserId, string ModelVersion, int Recorded, int InteractionCount, bool KnownToModel, RecommendationStrategy Strategy);

public static class UsersApi
{
    public const int MaxItemsPerCall = 1000;

    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/v1/users").WithTags("Users").RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName);

        api.MapPost("/{userId}/interactions", PostInteractions)
            .WithName("RecordInteractions")
            .WithSummary("Record items a user consumed")
            .WithDescription("The items leave the user's recommendations when excludeSeen is true. A user unknown to the model is then recommended from the mean vector of these items (ID-free user cold start); `strategy` says which way the user's recommendations are made now. All item IDs must exist (404 otherwise, nothing recorded). Needs X-Api-Key.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithRequestExample(ApiExamples.InteractionsRequest)
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.InteractionsResponse);

        return app;
    }

    public static async Task<Results<Ok<InteractionsResponse>, ValidationProblem, ProblemHttpResult>> PostInteractions(
        string userId, InteractionsRequest request, ModelHost host, IItemStore store, CancellationToken cancellationToken)
    {
        if (!Problems.IsValidIdList(request.ItemIds, "itemIds", MaxItemsPerCall, "item ID", out ValidationProblem? invalid))
        {
            return invalid;
        }

        ServingModel model = host.Require();
        string[] unknown = [.. request.ItemIds.Where(itemId => !model.TryGetItem(itemId, out _)).Distinct(StringComparer.Ordinal)];
        if (unknown.Length > 0)
        {
            return TypedResults.Problem(
                $"item '{unknown[0]}' is neither in model {model.Version} nor ingested ({unknown.Length} unknown); nothing was recorded",
                statusCode: StatusCodes.Status404NotFound,
                title: "Item not found",
                extensions: new Dictionary<string, object?> { ["itemIds"] = unknown });
        }

        string[] itemIds = [.. request.ItemIds.Distinct(StringComparer.Ordinal)];
        await store.AddInteractionsAsync(userId, itemIds, cancellationToken);
        bool known = model.TryGetUser(userId, out _);
        return TypedResults.Ok(new InteractionsResponse(
            userId,
            model.Version,
            itemIds.Length,
            store.State.GetInteractions(userId).Count,
            known,
            known ? RecommendationStrategy.Model : RecommendationStrategy.Interactions));
    }
}
