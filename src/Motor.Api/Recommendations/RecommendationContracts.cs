using Motor.Api.Serving;

namespace Motor.Api.Recommendations;

public sealed record ScoredItemResponse(string ItemId, float Score);

/// <summary>Top-k items for one user; <c>strategy</c> says how they were made (model, interactions or popular).</summary>
public sealed record RecommendationResponse(string UserId, RecommendationStrategy Strategy, string ModelVersion, IReadOnlyList<ScoredItemResponse> Items)
{
    public static RecommendationResponse From(UserRecommendations result, string modelVersion)
        => new(result.UserId, result.Strategy, modelVersion, [.. result.Items.Select(item => new ScoredItemResponse(item.ItemId, item.Score))]);
}

public sealed record BatchRecommendationRequest
{
    /// <summary>External user IDs (1..Motor:MaxBatchUsers).</summary>
    public List<string>? UserIds { get; init; }

    /// <summary>Items per user, 1..Motor:MaxK (default 20).</summary>
    public int? K { get; init; }

    /// <summary>Leave out each user's training items and recorded interactions (default true).</summary>
    public bool? ExcludeSeen { get; init; }
}

public sealed record BatchRecommendationResponse(string ModelVersion, int K, IReadOnlyList<RecommendationResponse> Results);

public sealed record SimilarItemsResponse(string ItemId, string ModelVersion, IReadOnlyList<ScoredItemResponse> Items);
