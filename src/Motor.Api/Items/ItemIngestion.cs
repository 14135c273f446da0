using Microsoft.AspNetCore.Http.HttpResults;
using Motor.Api.Operations;
using Motor.Api.Serving;
using Motor.Api.Storage;
using Motor.Core.Bundles;
using Motor.Inference.Encoding;

namespace Motor.Api.Items;

/// <summary>
/// Cold-start ingestion: validate everything first (nothing is written for a rejected request), tokenize with the
/// bundle's codebooks and encode with the ONNX item encoder, write to the store (durable, all-or-nothing), and the
/// store's in-process copy puts the items into the served index before the response is sent.
/// </summary>
public sealed class ItemIngestion(ModelHost host, IItemStore store, ApiMetrics metrics, ContentFeaturizers featurizers)
{
    public sealed record Outcome(ServingModel Model, IReadOnlyList<ItemResponse> Items);

    /// <returns>The ingested items, or the problem that rejected the whole request.</returns>
    public async Task<(Outcome? Result, IResult? Problem)> IngestAsync(IReadOnlyList<ItemIngestionRequest> requests, IReadOnlyList<string> fieldPrefixes, bool replace, CancellationToken cancellationToken)
    {
        ServingModel model = host.Require();
        if (!model.CanIngest)
        {
            return (null, Problems.Conflict(
                "ingestion-unsupported",
                "The served model cannot ingest items",
                $"model {model.Version} represents items by ID ({model.Manifest.ItemRepresentation}): it has no codebooks or item encoder, so new items cannot get a vector; serve a MOTOR bundle to ingest items"));
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var contents = new ContentFeaturizers.CheckedContent?[requests.Count];
        for (int index = 0; index < requests.Count; index++)
        {
            ValidateId(requests[index], fieldPrefixes[index], errors);
            if (requests[index].HasContent)
            {
                contents[index] = ValidateContent(requests[index], fieldPrefixes[index], model, errors);
            }
            else
            {
                ValidateFeatures(requests[index], fieldPrefixes[index], model, errors);
            }

            if (requests[index].ItemId is { } id && !firstIndex.TryAdd(id, index))
            {
                errors[$"{fieldPrefixes[index]}itemId"] = [$"'{id}' is also at {fieldPrefixes[firstIndex[id]]}itemId: one entry per item"];
            }
        }

        if (errors.Count > 0)
        {
            return (null, Problems.Invalid(errors));
        }

        string[] trained = [.. requests.Select(request => request.ItemId!).Where(model.IsTrainedItem)];
        if (trained.Length > 0)
        {
            return (null, Problems.Conflict(
                "trained-item",
                "The item is part of the trained catalog",
                $"item '{trained[0]}' is a trained item of model {model.Version}; only new items can be ingested",
                new Dictionary<string, object?> { ["itemIds"] = trained }));
        }

        IReadOnlyList<BundleModality> modalities = model.Manifest.Modalities;
        requests = WithContentFeatures(requests, contents, modalities);
        List<IReadOnlyList<float[]>> features = [.. requests.Select(request => (IReadOnlyList<float[]>)[.. modalities.Select(modality => request.Features![modality.Name])])];
        EncodedItems encoded = model.Encode(features);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var items = new StoredItem[requests.Count];
        for (int index = 0; index < requests.Count; index++)
        {
            items[index] = new StoredItem
            {
                ItemId = requests[index].ItemId!,
                ContentHash = StoredItem.ComputeContentHash(requests[index].Features!),
                Features = requests[index].Features!,
                ModelVersion = model.Version,
                Tokens = model.TokensByModality(encoded.Tokens.AsSpan(index * encoded.TokensPerItem, encoded.TokensPerItem)),
                Vector = encoded.Vectors.AsSpan(index * encoded.VectorSize, encoded.VectorSize).ToArray(),
                IngestedAt = now,
            };
        }

        ItemWriteResult written = await store.WriteItemsAsync(items, replace, cancellationToken);
        if (written.HasConflict)
        {
            string[] conflicting = [.. written.Outcomes.Select((outcome, index) => (outcome, index)).Where(pair => pair.outcome == ItemWriteOutcome.Conflict).Select(pair => items[pair.index].ItemId)];
            return (null, Problems.Conflict(
                "item-exists",
                "An item with this ID exists with other features",
                $"item '{conflicting[0]}' was ingested with different features; send the same body again (idempotent) or PUT /v1/items/{{itemId}} to replace it; nothing was written",
                new Dictionary<string, object?> { ["itemIds"] = conflicting }));
        }

        metrics.AddIngested(written.Outcomes.Count(outcome => outcome is ItemWriteOutcome.Created or ItemWriteOutcome.Replaced));

        // The write applied the items to the served model; describe them as it serves them now.
        ServingModel current = host.Require();
        var responses = new ItemResponse[items.Length];
        for (int index = 0; index < items.Length; index++)
        {
            IngestionOutcome outcome = written.Outcomes[index] switch
            {
                ItemWriteOutcome.Created => IngestionOutcome.Created,
                ItemWriteOutcome.Replaced => IngestionOutcome.Replaced,
                _ => IngestionOutcome.Unchanged,
            };
            responses[index] = Describe(current, written.Items[index].ItemId, written.Items[index]) with { Outcome = outcome };
        }

        return (new Outcome(current, responses), null);
    }

    /// <summary>The item as served; falls back to the stored record when the served model skipped it.</summary>
    public static ItemResponse Describe(ServingModel model, string itemId, StoredItem? stored = null)
    {
        if (model.TryGetItem(itemId, out int item))
        {
            CatalogItem catalogItem = model.DescribeItem(item);
            return new ItemResponse
            {
                ItemId = catalogItem.ItemId,
                Source = catalogItem.Ingested ? ItemSource.Ingested : ItemSource.Trained,
                ModelVersion = model.Version,
                Tokens = catalogItem.Tokens,
                ContentHash = catalogItem.ContentHash,
                IngestedAt = catalogItem.IngestedAt,
            };
        }

        return new ItemResponse
        {
            ItemId = itemId,
            Source = ItemSource.Ingested,
            ModelVersion = stored?.ModelVersion ?? model.Version,
            Tokens = stored?.Tokens,
            ContentHash = stored?.ContentHash,
            IngestedAt = stored?.IngestedAt,
        };
    }

    /// <summary>Requests with raw content get the features their content maps to (one featurizer call per modality).</summary>
    private IReadOnlyList<ItemIngestionRequest> WithContentFeatures(IReadOnlyList<ItemIngestionRequest> requests, ContentFeaturizers.CheckedContent?[] contents, IReadOnlyList<BundleModality> modalities)
    {
        int[] withContent = [.. Enumerable.Range(0, requests.Count).Where(index => contents[index] is not null)];
        if (withContent.Length == 0)
        {
            return requests;
        }

        List<Dictionary<string, float[]>> computed = featurizers.Featurize([.. withContent.Select(index => contents[index]!)], modalities);
        ItemIngestionRequest[] result = [.. requests];
        for (int position = 0; position < withContent.Length; position++)
        {
            result[withContent[position]] = requests[withContent[position]] with { Features = computed[position] };
        }

        return result;
    }

    private static void ValidateId(ItemIngestionRequest request, string prefix, Dictionary<string, string[]> errors)
    {
        string? id = request.ItemId;
        if (string.IsNullOrWhiteSpace(id))
        {
            errors[$"{prefix}itemId"] = ["is required (the external item ID)"];
        }
        else if (Problems.IdProblem(id, "item ID") is { } problem)
        {
            errors[$"{prefix}itemId"] = [problem];
        }
    }

    /// <summary>
    /// Raw content instead of vectors: only for bundles whose every modality names its featurizer; anything else is told
    /// which inputs the served model accepts.
    /// </summary>
    private ContentFeaturizers.CheckedContent? ValidateContent(ItemIngestionRequest request, string prefix, ServingModel model, Dictionary<string, string[]> errors)
    {
        IReadOnlyList<BundleModality> modalities = model.Manifest.Modalities;
        string field = request.Text is not null ? $"{prefix}text" : $"{prefix}image";
        if (request.Features is not null)
        {
            errors[field] = ["send either 'features' or raw content ('text', 'image'), not both"];
            return null;
        }

        if (!ContentFeaturizers.AcceptsContent(modalities))
        {
            string expected = string.Join(", ", modalities.Select(modality => $"{modality.Name} ({modality.Dimension} values)"));
            errors[field] = [$"model {model.Version} was trained on features that it cannot compute from raw content, so it does not accept 'text' or 'image': send 'features' with one vector per modality: {expected}"];
            return null;
        }

        return featurizers.Check(request, prefix, modalities, model.Version, errors);
    }

    private static void ValidateFeatures(ItemIngestionRequest request, string prefix, ServingModel model, Dictionary<string, string[]> errors)
    {
        IReadOnlyList<BundleModality> modalities = model.Manifest.Modalities;
        string expected = string.Join(", ", modalities.Select(modality => $"{modality.Name} ({modality.Dimension} values)"));
        if (request.Features is null)
        {
            errors[$"{prefix}features"] = [ContentFeaturizers.AcceptsContent(modalities)
                ? $"is required: one vector per modality of model {model.Version}: {expected}; or the raw content {ContentFeaturizers.AcceptedInputs(modalities)}"
                : $"is required: one vector per modality of model {model.Version}: {expected}"];
            return;
        }

        foreach (string name in request.Features.Keys.Where(name => modalities.All(modality => modality.Name != name)))
        {
            errors[$"{prefix}features.{name}"] = [$"is not a modality of model {model.Version} (expected {expected})"];
        }

        foreach (BundleModality modality in modalities)
        {
            string field = $"{prefix}features.{modality.Name}";
            if (!request.Features.TryGetValue(modality.Name, out float[]? values) || values is null)
            {
                errors[field] = [$"is missing: model {model.Version} needs {expected}"];
                continue;
            }

            if (values.Length != modality.Dimension)
            {
                errors[field] = [$"has {values.Length} values, the modality has dimension {modality.Dimension}"];
                continue;
            }

            int bad = Array.FindIndex(values, value => !float.IsFinite(value));
            if (bad >= 0)
            {
                errors[$"{field}[{bad}]"] = ["is NaN or infinite; feature values must be finite numbers"];
            }
            else if (Array.TrueForAll(values, value => value == 0f))
            {
                errors[field] = ["is all zeros; an item needs a non-zero feature vector per modality"];
            }
        }
    }
}
