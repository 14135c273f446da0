namespace Motor.Api.Items;

/// <summary>
/// One item to ingest: external ID and either one raw feature vector per modality of the served bundle, or the item's raw
/// content (text, image) when the bundle's manifest names the featurizers its features were computed with.
/// </summary>
public sealed record ItemIngestionRequest
{
    /// <summary>External item ID (optional on PUT /v1/items/{itemId}, where it must match the route).</summary>
    public string? ItemId { get; init; }

    /// <summary>Modality name -> raw feature vector (as in the dataset's *_feat.npy rows; the service preprocesses).</summary>
    public Dictionary<string, float[]>? Features { get; init; }

    /// <summary>The item's text (e.g. title and description), for a bundle with a text featurizer.</summary>
    public string? Text { get; init; }

    /// <summary>The item's image (JPEG, PNG, WebP, GIF or BMP) in base64, for a bundle with an image featurizer.</summary>
    public string? Image { get; init; }

    internal bool HasContent => Text is not null || Image is not null;
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
