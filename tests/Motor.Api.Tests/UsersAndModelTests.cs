using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Motor.Core.Bundles;

namespace Motor.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class UsersAndModelTests(ApiEnvironment environment) : IAsyncLifetime
{
    private MotorApiFactory _app = null!;
    private HttpClient _client = null!;
    private HttpClient _anonymous = null!;

    public async Task InitializeAsync()
    {
        _app = await environment.CreateEmbedded().StartAsync();
        _client = _app.CreateKeyedClient();
        _anonymous = _app.CreateClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Unknown_user_with_interactions_is_recommended_from_their_items_and_they_are_excluded()
    {
        string[] items = [environment.Bundle.ItemExternalIds[1], environment.Bundle.ItemExternalIds[2]];
        HttpResponseMessage response = await _client.PostAsJsonAsync("/v1/users/visitor-1/interactions", new { itemIds = items });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement recorded = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("interactions", recorded.GetProperty("strategy").GetString());
        Assert.False(recorded.GetProperty("knownToModel").GetBoolean());
        Assert.Equal(2, recorded.GetProperty("interactionCount").GetInt32());

        JsonElement recommendations = await _anonymous.GetFromJsonAsync<JsonElement>($"/v1/users/visitor-1/recommendations?k={environment.Bundle.ItemCount}");
        Assert.Equal("interactions", recommendations.GetProperty("strategy").GetString());
        string[] ids = [.. recommendations.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("itemId").GetString()!)];
        Assert.DoesNotContain(items[0], ids);
        Assert.DoesNotContain(items[1], ids);
        Assert.Equal(environment.Bundle.ItemCount - 2, ids.Length);

        // The query is the mean of the two item vectors: the best item scores what that mean gives it.
        int size = environment.Bundle.VectorSize;
        float[] mean = [.. Enumerable.Range(0, size).Select(d => (environment.Bundle.ItemVectors[(1 * size) + d] + environment.Bundle.ItemVectors[(2 * size) + d]) / 2)];
        int best = environment.Bundle.ItemExternalIds.ToList().IndexOf(ids[0]);
        float expected = Enumerable.Range(0, size).Sum(d => mean[d] * environment.Bundle.ItemVectors[(best * size) + d]);
        Assert.Equal(expected, recommendations.GetProperty("items")[0].GetProperty("score").GetSingle(), Math.Abs(expected) * 1e-4f);

        JsonElement withSeen = await _anonymous.GetFromJsonAsync<JsonElement>($"/v1/users/visitor-1/recommendations?k={environment.Bundle.ItemCount}&excludeSeen=false");
        Assert.Equal(environment.Bundle.ItemCount, withSeen.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Known_user_interactions_leave_their_recommendations()
    {
        string userId = environment.Bundle.UserExternalIds[4];
        JsonElement before = await _anonymous.GetFromJsonAsync<JsonElement>($"/v1/users/{userId}/recommendations?k=3");
        string first = before.GetProperty("items")[0].GetProperty("itemId").GetString()!;
        JsonElement recorded = await (await _client.PostAsJsonAsync($"/v1/users/{userId}/interactions", new { itemIds = new[] { first } })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("model", recorded.GetProperty("strategy").GetString());
        JsonElement after = await _anonymous.GetFromJsonAsync<JsonElement>($"/v1/users/{userId}/recommendations?k=3");
        Assert.DoesNotContain(first, after.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("itemId").GetString()));
        Assert.Equal(before.GetProperty("items")[1].GetProperty("itemId").GetString(), after.GetProperty("items")[0].GetProperty("itemId").GetString());
    }

    [Fact]
    public async Task Interactions_with_unknown_items_are_404_and_record_nothing()
    {
        await ProblemAssert.IsProblemAsync(
            await _client.PostAsJsonAsync("/v1/users/visitor-2/interactions", new { itemIds = new[] { environment.Bundle.ItemExternalIds[0], "ghost-item" } }),
            HttpStatusCode.NotFound, "ghost-item", "nothing was recorded");
        JsonElement recommendations = await _anonymous.GetFromJsonAsync<JsonElement>("/v1/users/visitor-2/recommendations?k=2");
        Assert.Equal("popular", recommendations.GetProperty("strategy").GetString());
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/users/visitor-2/interactions", new { itemIds = Array.Empty<string>() }), HttpStatusCode.BadRequest, "itemIds");
    }

    [Fact]
    public async Task Model_endpoint_returns_the_manifest_and_reload_reports_bad_bundles()
    {
        JsonElement model = await _anonymous.GetFromJsonAsync<JsonElement>("/v1/model");
        Assert.Equal(environment.Bundle.Manifest.Version, model.GetProperty("version").GetString());
        Assert.Equal("motor", model.GetProperty("manifest").GetProperty("itemRepresentation").GetString());
        Assert.True(model.GetProperty("canIngest").GetBoolean());
        Assert.Equal(environment.Bundle.ItemCount, model.GetProperty("trainedItems").GetInt32());

        string missing = Path.Combine(environment.Root, "no-bundle-here");
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/admin/model/reload", new { bundlePath = missing }), HttpStatusCode.UnprocessableEntity, "no-bundle-here");

        // A bundle with a damaged file: 422 naming the file; the live model keeps serving.
        string damaged = Path.Combine(environment.Root, "damaged-bundle");
        ApiEnvironment.CopyDirectory(environment.BundlePath, damaged);
        byte[] vectors = File.ReadAllBytes(Path.Combine(damaged, BundleFileNames.ItemVectors));
        vectors[^1] ^= 0xFF;
        File.WriteAllBytes(Path.Combine(damaged, BundleFileNames.ItemVectors), vectors);
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/admin/model/reload", new { bundlePath = damaged }), HttpStatusCode.UnprocessableEntity, BundleFileNames.ItemVectors, "SHA-256");
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.GetAsync($"/v1/users/{environment.Bundle.UserExternalIds[0]}/recommendations")).StatusCode);

        HttpResponseMessage reloaded = await _client.PostAsJsonAsync("/v1/admin/model/reload", new { bundlePath = environment.SecondBundlePath });
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        JsonElement result = await reloaded.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("demo-v2", result.GetProperty("version").GetString());
        Assert.Equal("demo-v2", (await _anonymous.GetFromJsonAsync<JsonElement>("/v1/model")).GetProperty("version").GetString());
    }

    [Fact]
    public async Task Operations_health_metrics_and_openapi()
    {
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.GetAsync("/health/live")).StatusCode);
        JsonElement ready = await _anonymous.GetFromJsonAsync<JsonElement>("/health/ready");
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Contains("warmed up", ready.GetProperty("checks").GetProperty("model").GetProperty("description").GetString());

        await _anonymous.GetAsync($"/v1/users/{environment.Bundle.UserExternalIds[0]}/recommendations");
        await _client.PostAsJsonAsync("/v1/items", new { itemId = "metrics-item", features = environment.RandomFeatures(9) });
        string metrics = await _anonymous.GetStringAsync("/metrics");
        Assert.Contains("motor_http_requests_total{method=\"GET\",route=\"/v1/users/{userId}/recommendations\",status=\"200\"}", metrics);
        Assert.Contains("motor_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/users/{userId}/recommendations\",le=\"+Inf\"}", metrics);
        Assert.Contains("motor_recommendation_duration_seconds_count{kind=\"user\"}", metrics);
        Assert.Contains("motor_items_ingested_total 1", metrics);
        Assert.Contains($"motor_model_info{{version=\"{environment.Bundle.Manifest.Version}\"}} 1", metrics);
        Assert.Contains("motor_store_errors_total", metrics);

        JsonElement document = await _anonymous.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");
        JsonElement paths = document.GetProperty("paths");
        JsonElement recommend = paths.GetProperty("/v1/users/{userId}/recommendations").GetProperty("get");
        Assert.Equal("GetUserRecommendations", recommend.GetProperty("operationId").GetString());
        Assert.False(string.IsNullOrEmpty(recommend.GetProperty("summary").GetString()));
        Assert.Equal("Recommendations", recommend.GetProperty("tags")[0].GetString());
        Assert.Equal("model", recommend.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("example").GetProperty("strategy").GetString());
        JsonElement ingest = paths.GetProperty("/v1/items").GetProperty("post");
        Assert.Equal("IngestItem", ingest.GetProperty("operationId").GetString());
        Assert.Equal("new-sku-1", ingest.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("example").GetProperty("itemId").GetString());
        Assert.True(ingest.TryGetProperty("security", out _));
        foreach (string path in new[] { "/v1/recommendations/batch", "/v1/items/{itemId}/similar", "/v1/items/{itemId}", "/v1/items/batch", "/v1/users/{userId}/interactions", "/v1/model", "/v1/admin/model/reload" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }

        HttpResponseMessage ui = await _anonymous.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    [Fact]
    public async Task Over_the_per_key_rate_limit_is_429_with_retry_after()
    {
        await using MotorApiFactory limited = await environment.CreateEmbedded(new Dictionary<string, string?>
        {
            ["Motor:RateLimit:PermitLimit"] = "3",
            ["Motor:RateLimit:WindowSeconds"] = "60",
            ["Motor:ApiKeys:1"] = "second-key",
        }).StartAsync();
        HttpClient client = limited.CreateKeyedClient();
        for (int index = 0; index < 3; index++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/users/rate/interactions", new { itemIds = new[] { environment.Bundle.ItemExternalIds[index] } })).StatusCode);
        }

        HttpResponseMessage limitedResponse = await client.PostAsJsonAsync("/v1/users/rate/interactions", new { itemIds = new[] { environment.Bundle.ItemExternalIds[5] } });
        await ProblemAssert.IsProblemAsync(limitedResponse, HttpStatusCode.TooManyRequests, "3 requests per 60 s");
        Assert.NotNull(limitedResponse.Headers.RetryAfter);

        // Per key: another key is not affected, and anonymous reads have their own budget.
        Assert.Equal(HttpStatusCode.OK, (await limited.CreateKeyedClient("second-key").PostAsJsonAsync("/v1/users/rate/interactions", new { itemIds = new[] { environment.Bundle.ItemExternalIds[5] } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await limited.CreateClient().GetAsync("/v1/users/rate/recommendations")).StatusCode);
    }

    [Fact]
    public async Task Anonymous_callers_and_invalid_keys_are_limited_per_address_probes_never_and_batch_cost_is_capped()
    {
        await using MotorApiFactory limited = await environment.CreateEmbedded(new Dictionary<string, string?>
        {
            ["Motor:RateLimit:AnonymousPermitLimit"] = "5",
            ["Motor:RateLimit:FailedKeyPermitLimit"] = "2",
            ["Motor:RateLimit:WindowSeconds"] = "60",
            ["Motor:MaxBatchResults"] = "100",
        }).StartAsync();
        HttpClient anonymous = limited.CreateClient();
        string path = $"/v1/users/{environment.Bundle.UserExternalIds[0]}/recommendations";
        for (int index = 0; index < 5; index++)
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(path)).StatusCode);
        }

        HttpResponseMessage refused = await anonymous.GetAsync(path);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, "anonymous callers may make 5 requests per 60 s");
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/metrics")).StatusCode);

        // A valid key has its own budget; guessing keys gets 2 tries a minute.
        HttpClient keyed = limited.CreateKeyedClient();
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync(path)).StatusCode);
        HttpClient guessing = limited.CreateKeyedClient("wrong-key");
        for (int index = 0; index < 2; index++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await guessing.PostAsJsonAsync("/v1/users/u/interactions", new { itemIds = new[] { "x" } })).StatusCode);
        }

        await ProblemAssert.IsProblemAsync(await guessing.PostAsJsonAsync("/v1/users/u/interactions", new { itemIds = new[] { "x" } }), HttpStatusCode.TooManyRequests, "invalid X-Api-Key");

        // users x k above Motor:MaxBatchResults: 413 before any work.
        HttpResponseMessage tooLarge = await keyed.PostAsJsonAsync("/v1/recommendations/batch", new { userIds = environment.Bundle.UserExternalIds.Take(11).ToArray(), k = 10 });
        await ProblemAssert.IsProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, "11 users x k 10 = 110 results");
        Assert.Equal(HttpStatusCode.OK, (await keyed.PostAsJsonAsync("/v1/recommendations/batch", new { userIds = environment.Bundle.UserExternalIds.Take(10).ToArray(), k = 10 })).StatusCode);
    }

    [Fact]
    public async Task Id_based_bundle_serves_recommendations_and_refuses_ingestion()
    {
        ModelBundle motor = environment.Bundle;
        string path = Path.Combine(environment.Root, "bundles", "demo-id");
        ModelBundleWriter.Write(path, new ModelBundleContents
        {
            Manifest = motor.Manifest with { Version = "demo-id", ItemRepresentation = "id", Quantization = null, EncoderInputs = [], Files = [] },
            UserVectors = motor.UserVectors,
            ItemVectors = motor.ItemVectors,
            TrainingItemsByUser = motor.TrainingItemsByUser,
            UserExternalIds = motor.UserExternalIds,
            ItemExternalIds = motor.ItemExternalIds,
        }, overwrite: true);
        await using MotorApiFactory idApp = await environment.CreateEmbedded(new Dictionary<string, string?> { ["Motor:BundlePath"] = path }).StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await idApp.CreateClient().GetAsync($"/v1/users/{motor.UserExternalIds[0]}/recommendations")).StatusCode);
        await ProblemAssert.IsProblemAsync(
            await idApp.CreateKeyedClient().PostAsJsonAsync("/v1/items", new { itemId = "cold", features = environment.RandomFeatures(1) }),
            HttpStatusCode.Conflict, "represents items by ID", "serve a MOTOR bundle");
        JsonElement item = await idApp.CreateClient().GetFromJsonAsync<JsonElement>($"/v1/items/{motor.ItemExternalIds[0]}");
        Assert.False(item.TryGetProperty("tokens", out _));
    }
}
