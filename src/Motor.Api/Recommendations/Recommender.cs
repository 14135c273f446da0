using System.Buffers;
using Motor.Api.Serving;
using Motor.Api.Storage;
using Motor.Core.Search;

namespace Motor.Api.Recommendations;

public sealed record ScoredCatalogItem(string ItemId, float Score);

public sealed record UserRecommendations(string UserId, RecommendationStrategy Strategy, IReadOnlyList<ScoredCatalogItem> Items);

/// <summary>
/// Top-k for users and items over the active <see cref="ServingModel"/>. Known users score with their trained vector;
/// users unknown to the model score with the mean vector of the items they interacted with (ID-free user cold start),
/// else get the most popular training items.
/// </summary>
public sealed class Recommender(ModelHost host, IItemStore store)
{
    public (ServingModel Model, UserRecommendations Result) Recommend(string userId, int k, bool excludeSeen)
    {
        ServingModel model = host.Require();
        UserPlan plan = Plan(model, userId, excludeSeen);
        IReadOnlyList<ScoredCatalogItem> items = plan.Query is null
            ? Popular(model, k, plan.Seen)
            : Search(model, plan.Query, k, plan.Seen.IsEmpty ? null : plan.Seen.Contains);
        return (model, new UserRecommendations(userId, plan.Strategy, items));
    }

    /// <summary>
    /// Many users at once: the users with a query vector are scored together by the index's batch search (a blocked
    /// matrix product that reads every item vector once for the whole batch), popular-item users from the popularity order.
    /// </summary>
    public (ServingModel Model, IReadOnlyList<UserRecommendations> Results) RecommendBatch(IReadOnlyList<string> userIds, int k, bool excludeSeen)
    {
        ServingModel model = host.Require();
        var plans = new UserPlan[userIds.Count];
        var scored = new List<int>();
        for (int index = 0; index < plans.Length; index++)
        {
            plans[index] = Plan(model, userIds[index], excludeSeen);
            if (plans[index].Query is not null)
            {
                scored.Add(index);
            }
        }

        var results = new UserRecommendations[plans.Length];
        if (scored.Count > 0)
        {
            int dimension = model.VectorSize;
            float[] queries = new float[scored.Count * dimension];
            for (int row = 0; row < scored.Count; row++)
            {
                plans[scored[row]].Query.AsSpan().CopyTo(queries.AsSpan(row * dimension, dimension));
            }

            int take = Math.Min(k, model.Index.Count);
            ScoredItem[] buffer = ArrayPool<ScoredItem>.Shared.Rent(Math.Max(1, scored.Count * take));
            int[] counts = new int[scored.Count];
            try
            {
                bool anyExclusions = scored.Any(index => !plans[index].Seen.IsEmpty);
                Func<int, int, bool>? exclude = anyExclusions ? (row, item) => plans[scored[row]].Seen.Contains(item) : null;
                model.Index.SearchBatch(queries, take, buffer.AsSpan(0, scored.Count * take), counts, exclude);
                for (int row = 0; row < scored.Count; row++)
                {
                    var items = new ScoredCatalogItem[counts[row]];
                    for (int rank = 0; rank < items.Length; rank++)
                    {
                        ScoredItem hit = buffer[(row * take) + rank];
                        items[rank] = new ScoredCatalogItem(model.ItemIdOf(hit.Item), hit.Score);
                    }

                    results[scored[row]] = new UserRecommendations(userIds[scored[row]], plans[scored[row]].Strategy, items);
                }
            }
            finally
            {
                ArrayPool<ScoredItem>.Shared.Return(buffer);
            }
        }

        for (int index = 0; index < plans.Length; index++)
        {
            results[index] ??= new UserRecommendations(userIds[index], plans[index].Strategy, Popular(model, k, plans[index].Seen));
        }

        return (model, results);
    }

    /// <summary>Nearest items to <paramref name="itemId"/> by the served item vectors (the item itself excluded); null when the item is unknown.</summary>
    public (ServingModel Model, IReadOnlyList<ScoredCatalogItem>? Items) Similar(string itemId, int k)
    {
        ServingModel model = host.Require();
        if (!model.TryGetItem(itemId, out int item))
        {
            return (model, null);
        }

        float[] query = model.ItemVector(item);
        return (model, Search(model, query, k, candidate => candidate == item));
    }

    /// <summary>How a user is scored: trained vector, mean of interacted items' vectors, or (no query) popularity.</summary>
    private UserPlan Plan(ServingModel model, string userId, bool excludeSeen)
    {
        IReadOnlySet<string> interacted = store.State.GetInteractions(userId);
        HashSet<int>? interactedItems = null;
        if (interacted.Count > 0)
        {
            interactedItems = [];
            foreach (string itemId in interacted)
            {
                if (model.TryGetItem(itemId, out int item))
                {
                    interactedItems.Add(item);
                }
            }
        }

        bool known = model.TryGetUser(userId, out int user);
        var seen = new SeenItems(known && excludeSeen ? model.Bundle.TrainingItemsByUser : null, user, excludeSeen ? interactedItems : null);
        if (known)
        {
            return new UserPlan(RecommendationStrategy.Model, model.UserVector(user).ToArray(), seen);
        }

        if (interactedItems is not { Count: > 0 })
        {
            return new UserPlan(RecommendationStrategy.Popular, null, seen);
        }

        float[] mean = new float[model.VectorSize];
        foreach (int item in interactedItems)
        {
            float[] vector = model.ItemVector(item);
            for (int dimension = 0; dimension < mean.Length; dimension++)
            {
                mean[dimension] += vector[dimension];
            }
        }

        float scale = 1f / interactedItems.Count;
        for (int dimension = 0; dimension < mean.Length; dimension++)
        {
            mean[dimension] *= scale;
        }

        return new UserPlan(RecommendationStrategy.Interactions, mean, seen);
    }

    /// <summary>The most popular training items the user has not seen; the score is the item's training interaction count.</summary>
    private static ScoredCatalogItem[] Popular(ServingModel model, int k, SeenItems seen)
    {
        var popular = new List<ScoredCatalogItem>(Math.Min(k, model.TrainedItemCount));
        foreach (int item in model.PopularItems)
        {
            if (popular.Count == k)
            {
                break;
            }

            if (seen.IsEmpty || !seen.Contains(item))
            {
                popular.Add(new ScoredCatalogItem(model.ItemIdOf(item), model.PopularityOf(item)));
            }
        }

        return [.. popular];
    }

    private static ScoredCatalogItem[] Search(ServingModel model, ReadOnlySpan<float> query, int k, Func<int, bool>? exclude)
    {
        int take = Math.Min(k, model.Index.Count);
        if (take == 0)
        {
            return [];
        }

        ScoredItem[] buffer = ArrayPool<ScoredItem>.Shared.Rent(take);
        try
        {
            int count = model.Index.Search(query, take, buffer.AsSpan(0, take), exclude);
            var items = new ScoredCatalogItem[count];
            for (int index = 0; index < count; index++)
            {
                items[index] = new ScoredCatalogItem(model.ItemIdOf(buffer[index].Item), buffer[index].Score);
            }

            return items;
        }
        finally
        {
            ArrayPool<ScoredItem>.Shared.Return(buffer);
        }
    }

    private sealed record UserPlan(RecommendationStrategy Strategy, float[]? Query, SeenItems Seen);

    /// <summary>A user's training items (sorted CSR row) and recorded interactions, as an exclusion test.</summary>
    private sealed class SeenItems(Core.Datasets.CsrMatrix? training, int user, HashSet<int>? interacted)
    {
        public bool IsEmpty => (training is null || training.RowLength(user) == 0) && (interacted is null || interacted.Count == 0);

        public bool Contains(int item) => (training is not null && training.Contains(user, item)) || (interacted is not null && interacted.Contains(item));
    }
}
