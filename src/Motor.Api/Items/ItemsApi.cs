using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Api.OpenApi;
using Motor.Api.Operations;
using Motor.Api.Serving;
using Motor.Api.Storage;

namespace Motor.Api.Items;

public static class ItemsApi
{
    public static IEndpointRouteBuilder MapItemsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/v1/items").WithTags("Items");

        api.MapGet("/{itemId}", GetItem)
            .WithName("GetItem")
            .WithSummary("An item's token IDs per modality")
            .WithDescription("Trained items (from the bundle's token table) and ingested items alike; `tokens` is null for ID-based bundles.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.Item)
            .WithResponseExample(StatusCodes.Status404NotFound, ApiExamples.UnknownItem);

        RouteGroupBuilder writes = app.MapGroup("/v1/items").WithTags("Items").RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName);

        writes.MapPost(string.Empty, PostItem)
            .WithName("IngestItem")
            .WithSummary("Ingest a new (cold-start) item")
            .WithDescription("External item ID and one raw feature vector per modality of the served bundle, or, when the bundle's manifest names featurizers, the item's raw content instead: `text` and `image` (base64 JPEG, PNG, WebP, GIF or BMP), featurized in process with the models the bundle was trained with. The service preprocesses, tokenizes with the bundle's codebooks and encodes with the ONNX item encoder; once acknowledged (durable in the store) the item is returned by recommendations and similar items on every replica. Idempotent: the same body again answers 200 with the same item; different features for an existing ID answer 409 (use PUT to replace). A bundle without featurizers answers raw content with a 400 that lists the vectors it accepts; images that are not decodable, truncated or too large (bytes or header dimensions) are a 400. Needs X-Api-Key.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithRequestExample(ApiExamples.IngestionRequest)
            .WithResponseExample(StatusCodes.Status201Created, ApiExamples.IngestedItem)
            .WithResponseExample(StatusCodes.Status400BadRequest, ApiExamples.WrongDimension)
            .WithResponseExample(StatusCodes.Status409Conflict, ApiExamples.ItemConflict);

        writes.MapPut("/{itemId}", PutItem)
            .WithName("ReplaceItem")
            .WithSummary("Ingest or replace an item")
            .WithDescription("Like POST /v1/items for the item in the route, but an existing ingested item with other features is replaced (its vector is updated in place). Needs X-Api-Key.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithRequestExample(ApiExamples.IngestionRequest)
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.IngestedItem);

        writes.MapPost("/batch", PostItemBatch)
            .WithName("IngestItemBatch")
            .WithSummary("Ingest many new items in one call")
            .WithDescription("Up to Motor:MaxBatchItems items, all-or-nothing: any invalid or conflicting item rejects the whole batch and nothing is written. Items already ingested with the same features are `unchanged`. Needs X-Api-Key.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithRequestExample(ApiExamples.BatchIngestionRequest)
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.BatchIngestionResponse);

        return app;
    }

    public static Results<Ok<ItemResponse>, ProblemHttpResult> GetItem(string itemId, ModelHost host, IItemStore store)
    {
        ServingModel model = host.Require();
        if (model.TryGetItem(itemId, out _))
        {
            return TypedResults.Ok(ItemIngestion.Describe(model, itemId));
        }

        // Stored but not served by this model (e.g. ingested for a model with other modalities): still an item of the store.
        if (store.State.TryGetItem(itemId, out StoredItem? stored))
        {
            return TypedResults.Ok(ItemIngestion.Describe(model, itemId, stored));
        }

        return Problems.NotFound("Item not found", $"item '{itemId}' is neither in model {model.Version} nor ingested");
    }

    public static async Task<IResult> PostItem(ItemIngestionRequest request, ItemIngestion ingestion, CancellationToken cancellationToken)
    {
        return await IngestOne(request, replace: false, ingestion, cancellationToken);
    }

    public static async Task<IResult> PutItem(string itemId, ItemIngestionRequest request, ItemIngestion ingestion, CancellationToken cancellationToken)
    {
        if (request.ItemId is not null && request.ItemId != itemId)
        {
            return Problems.Invalid("itemId", $"'{request.ItemId}' does not match the item ID '{itemId}' in the route");
        }

        return await IngestOne(request with { ItemId = itemId }, replace: true, ingestion, cancellationToken);
    }

    /// <summary>One item through the ingestion pipeline: 201 when it was created, 200 when replaced or unchanged.</summary>
    private static async Task<IResult> IngestOne(ItemIngestionRequest request, bool replace, ItemIngestion ingestion, CancellationToken cancellationToken)
    {
        (ItemIngestion.Outcome? result, IResult? problem) = await ingestion.IngestAsync([request], [string.Empty], replace, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        ItemResponse item = result!.Items[0];
        return item.Outcome == IngestionOutcome.Created
            ? TypedResults.Created($"/v1/items/{Uri.EscapeDataString(item.ItemId)}", item)
            : TypedResults.Ok(item);
    }

    public static async Task<IResult> PostItemBatch(ItemBatchIngestionRequest request, ItemIngestion ingestion, IOptions<MotorOptions> options, CancellationToken cancellationToken)
    {
        if (!Problems.HasValidCount(request.Items, "items", options.Value.MaxBatchItems, "items", out ValidationProblem? invalid))
        {
            return invalid;
        }

        int missing = request.Items.FindIndex(item => item is null);
        if (missing >= 0)
        {
            return Problems.Invalid($"items[{missing}]", "must be an item object, got null");
        }

        string[] prefixes = [.. Enumerable.Range(0, request.Items.Count).Select(index => $"items[{index}].")];
        (ItemIngestion.Outcome? result, IResult? problem) = await ingestion.IngestAsync(request.Items, prefixes, replace: false, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        IReadOnlyList<ItemResponse> items = result!.Items;
        return TypedResults.Ok(new ItemBatchIngestionResponse(
            result.Model.Version,
            items.Count(item => item.Outcome == IngestionOutcome.Created),
            items.Count(item => item.Outcome == IngestionOutcome.Unchanged),
            items.Count(item => item.Outcome == IngestionOutcome.Replaced),
            items));
    }
}
