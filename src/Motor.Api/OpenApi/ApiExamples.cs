using Microsoft.AspNetCore.Mvc;
using Motor.Api.Items;
using Motor.Api.Model;
using Motor.Api.Recommendations;
using Motor.Api.Serving;
using Motor.Api.Users;
using Motor.Core.Bundles;

namespace Motor.Api.OpenApi;

/// <summary>Request and response examples of the OpenAPI document, built from the real contract types.</summary>
public static class ApiExamples
{
    private const string Version = "demo-motor-bpr-20260101";

    private static readonly float[] s_image = [0.12f, -0.03f, 0.56f, 0.08f, -0.41f, 0.27f, 0.09f, -0.15f];
    private static readonly float[] s_audio = [0.31f, 0.02f, -0.18f, 0.44f, 0.07f, -0.22f, 0.13f, 0.05f];

    public static readonly RecommendationResponse UserRecommendations = new(
        "u42", RecommendationStrategy.Model, Version,
        [new ScoredItemResponse("i1017", 4.12f), new ScoredItemResponse("i88", 3.97f), new ScoredItemResponse("new-sku-1", 3.90f)]);

    public static readonly BatchRecommendationRequest BatchRecommendationRequest = new() { UserIds = ["u42", "u7", "visitor-9"], K = 2, ExcludeSeen = true };

    public static readonly BatchRecommendationResponse BatchRecommendations = new(Version, 2,
    [
        new("u42", RecommendationStrategy.Model, Version, [new("i1017", 4.12f), new("i88", 3.97f)]),
        new("u7", RecommendationStrategy.Model, Version, [new("i5", 2.64f), new("i1017", 2.51f)]),
        new("visitor-9", RecommendationStrategy.Popular, Version, [new("i3", 181f), new("i12", 160f)]),
    ]);

    public static readonly SimilarItemsResponse SimilarItems = new("i1017", Version, [new("i1020", 0.93f), new("new-sku-1", 0.88f)]);

    public static readonly ItemResponse Item = new()
    {
        ItemId = "i1017",
        Source = ItemSource.Trained,
        ModelVersion = Version,
        Tokens = new Dictionary<string, int[]> { ["image"] = [12, 201, 7, 88, 145, 3, 66, 230], ["audio"] = [91, 4, 177, 250, 18, 62, 9, 140] },
    };

    public static readonly ItemIngestionRequest IngestionRequest = new()
    {
        ItemId = "new-sku-1",
        Features = new Dictionary<string, float[]> { ["image"] = s_image, ["audio"] = s_audio },
    };

    public static readonly ItemResponse IngestedItem = new()
    {
        ItemId = "new-sku-1",
        Source = ItemSource.Ingested,
        ModelVersion = Version,
        Tokens = new Dictionary<string, int[]> { ["image"] = [40, 17, 201, 3, 99, 120, 8, 61], ["audio"] = [2, 77, 190, 45, 11, 230, 96, 14] },
        ContentHash = "5d41402abc4b2a76b9719d911017c592d41402abc4b2a76b9719d911017c592",
        IngestedAt = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero),
        Outcome = IngestionOutcome.Created,
    };

    public static readonly ItemBatchIngestionRequest BatchIngestionRequest = new()
    {
        Items = [IngestionRequest, IngestionRequest with { ItemId = "new-sku-2" }],
    };

    public static readonly ItemBatchIngestionResponse BatchIngestionResponse = new(Version, 1, 1, 0,
        [IngestedItem with { Outcome = IngestionOutcome.Unchanged }, IngestedItem with { ItemId = "new-sku-2" }]);

    public static readonly InteractionsRequest InteractionsRequest = new() { ItemIds = ["i1017", "new-sku-1"] };

    public static readonly InteractionsResponse InteractionsResponse = new("visitor-9", Version, 2, 2, false, RecommendationStrategy.Interactions);

    public static readonly ReloadRequest ReloadRequest = new() { BundlePath = "/models/tiktok-lightgcn-motor" };

    public static readonly ReloadResponse ReloadResponse = new(Version, "tiktok-lightgcn-motor", "/models/tiktok-lightgcn-motor", 840);

    public static readonly ModelResponse Model = new(
        Version, "/models/current", new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero), 600, 400, 3, 32, true, "CPU",
        new BundleManifest
        {
            FormatVersion = BundleManifest.CurrentFormatVersion,
            Version = Version,
            Dataset = new BundleDataset("demo", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 600, 400),
            Modalities = [new BundleModality("image", 64, true, false), new BundleModality("audio", 32, true, false)],
            Quantization = new BundleQuantization(8, 32, false),
            Backbone = "bpr",
            ItemRepresentation = "motor",
            EmbeddingSize = 32,
            VectorSize = 32,
            EncoderInputs = ["tokens"],
            Metrics = new Dictionary<string, double> { ["test.recall@20"] = 0.21, ["test.ndcg@20"] = 0.11 },
            CreatedAt = new DateTimeOffset(2026, 1, 1, 11, 58, 0, TimeSpan.Zero),
            TrainerVersion = "1.0.0",
            Files = [new BundleFile("item_encoder.onnx", "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", 41234)],
        });

    public static readonly ProblemDetails InvalidK = new()
    {
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        Title = "The request is not valid",
        Status = 400,
        Detail = "k: must be between 1 and 1000, got 0",
        Extensions = { ["errors"] = new Dictionary<string, string[]> { ["k"] = ["must be between 1 and 1000, got 0"] } },
    };

    public static readonly ProblemDetails UnknownItem = new()
    {
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        Title = "Item not found",
        Status = 404,
        Detail = $"item 'i999999' is neither in model {Version} nor ingested",
    };

    public static readonly ProblemDetails WrongDimension = new()
    {
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        Title = "The request is not valid",
        Status = 400,
        Detail = "features.image: has 127 values, the modality has dimension 128",
        Extensions = { ["errors"] = new Dictionary<string, string[]> { ["features.image"] = ["has 127 values, the modality has dimension 128"] } },
    };

    public static readonly ProblemDetails ItemConflict = new()
    {
        Type = "https://github.com/motor-service/problems/item-exists",
        Title = "An item with this ID exists with other features",
        Status = 409,
        Detail = "item 'new-sku-1' was ingested with different features; send the same body again (idempotent) or PUT /v1/items/{itemId} to replace it; nothing was written",
        Extensions = { ["itemIds"] = new[] { "new-sku-1" } },
    };
}
