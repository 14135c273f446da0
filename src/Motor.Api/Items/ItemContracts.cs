namespace Motor.Api.Items;

/// <summary>One item to ingest: external ID and one raw feature vector per modality of the served bundle.</summary>
public sealed record ItemIngestionRequest
{
    /// <summary>External item ID (optional on PUT /v1/items/{itemId}, where it must match the route).</summary>
    public string? ItemId { get; init; }

    /// <summary>Modality name -> raw feature vector (as in the dataset's *_feat.npy rows; the service preprocesses).</summary>
    public Dictionary<string, float[]>? Features { get; init; }
}

public sealed record ItemBatchIngestionRequest
{
    public List<ItemIngestionRequest>? Items { get; init; }
}

public enum ItemSource
{
    Trained,
    Ingested,
}

public enum IngestionOutcome
{
    Created,
    Unchanged,
    Replaced,
}

/// <summary>An item of the served catalog with its token IDs per modality (null for ID-based bundles).</summary>
public sealed record ItemResponse
{
    public required string ItemId { get; init; }

    public required ItemSource Source { get; init; }

    public required string ModelVersion { get; init; }

    public IReadOnlyDictionary<string, int[]>? Tokens { get; init; }

    /// <summary>Ingested items: SHA-256 of the features (equal for an identical re-submission).</summary>
    public string? ContentHash { get; init; }

    public DateTimeOffset? IngestedAt { get; init; }

    /// <summary>Ingestion responses only.</summary>
    public IngestionOutcome? Outcome { get; init; }
}

public sealed record ItemBatchIngestionResponse(string ModelVersion, int Created, int Unchanged, int Replaced, IReadOnlyList<ItemResponse> Items);
