using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Motor.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class ItemIngestionTests(ApiEnvironment environment) : IAsyncLifetime
{
    private MotorApiFactory _app = null!;
    private HttpClient _client = null!;
    private HttpClient _anonymous = null!;

    public async Task InitializeAsync()
    {
        _app = await environment.CreateEmbedded(new Dictionary<string, string?> { ["Motor:MaxBodyBytes"] = "65536", ["Motor:MaxBatchItems"] = "50" }).StartAsync();
        _client = _app.CreateKeyedClient();
        _anonymous = _app.CreateClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Ingested_item_is_served_at_once_with_the_tokens_of_its_features()
    {
        // A new item with the features of trained item T gets T's tokens and T's vector (MOTOR items have no ID part),
        // so it ranks right after T for the user whose top item is T.
        string userId = environment.Bundle.UserExternalIds[9];
        JsonElement before = await _anonymous.GetFromJsonAsync<JsonElement>($"/v1/users/{userId}/recommendations?k=5");
        string top = before.GetProperty("items")[0].GetProperty("itemId").GetString()!;
        int topIndex = environment.Bundle.ItemExternalIds.ToList().IndexOf(top);

        HttpResponseMessage created = await _client.PostAsJsonAsync("/v1/items", new { itemId = "copy-of-top", features = environment.FeaturesOf(topIndex) });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/items/copy-of-top", created.Headers.Location?.OriginalString);
        JsonElement item = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("created", item.GetProperty("outcome").GetString());
        Assert.Equal("ingested", item.GetProperty("source").GetString());
        JsonElement trained = await _anonymous.GetFromJsonAsync<JsonElement>($"/v1/items/{top}");
        Assert.Equal(trained.GetProperty("tokens").ToString(), item.GetProperty("tokens").ToString());

        // ONNX and TorchSharp agree to about 1e-6, so the two may come in either order.
        JsonElement after = await _anonymous.GetFromJsonAsync<JsonElement>($"/v1/users/{userId}/recommendations?k=5");
        Assert.Equal(new[] { top, "copy-of-top" }.Order(), after.GetProperty("items").EnumerateArray().Take(2).Select(entry => entry.GetProperty("itemId").GetString()!).Order());

        // Similar to T: the copy scores |v_T|^2.
        float[] vector = environment.Bundle.ItemVectors.AsSpan(topIndex * environment.Bundle.VectorSize, environment.Bundle.VectorSize).ToArray();
        float selfScore = vector.Sum(value => value * value);
        JsonElement similar = await _anonymous.GetFromJsonAsync<JsonElement>($"/v1/items/{top}/similar?k={environment.Bundle.ItemCount}");
        JsonElement copy = similar.GetProperty("items").EnumerateArray().Single(entry => entry.GetProperty("itemId").GetString() == "copy-of-top");
        Assert.Equal(selfScore, copy.GetProperty("score").GetSingle(), selfScore * 1e-4f);
        JsonElement fetched = await _anonymous.GetFromJsonAsync<JsonElement>("/v1/items/copy-of-top");
        Assert.Equal("ingested", fetched.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Ingestion_is_idempotent_conflicts_without_put_and_put_replaces()
    {
        var body = new { itemId = "idem-1", features = environment.RandomFeatures(1) };
        HttpResponseMessage first = await _client.PostAsJsonAsync("/v1/items", body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        JsonElement firstItem = await first.Content.ReadFromJsonAsync<JsonElement>();

        HttpResponseMessage again = await _client.PostAsJsonAsync("/v1/items", body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        JsonElement againItem = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unchanged", againItem.GetProperty("outcome").GetString());
        Assert.Equal(firstItem.GetProperty("tokens").ToString(), againItem.GetProperty("tokens").ToString());
        Assert.Equal(firstItem.GetProperty("contentHash").GetString(), againItem.GetProperty("contentHash").GetString());

        var other = new { itemId = "idem-1", features = environment.RandomFeatures(2) };
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/items", other), HttpStatusCode.Conflict, "idem-1", "PUT");
        JsonElement unchanged = await _anonymous.GetFromJsonAsync<JsonElement>("/v1/items/idem-1");
        Assert.Equal(firstItem.GetProperty("contentHash").GetString(), unchanged.GetProperty("contentHash").GetString());

        HttpResponseMessage replaced = await _client.PutAsJsonAsync("/v1/items/idem-1", new { features = other.features });
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        JsonElement replacedItem = await replaced.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("replaced", replacedItem.GetProperty("outcome").GetString());
        Assert.NotEqual(firstItem.GetProperty("contentHash").GetString(), replacedItem.GetProperty("contentHash").GetString());

        HttpResponseMessage putNew = await _client.PutAsJsonAsync("/v1/items/put-new", new { features = environment.RandomFeatures(3) });
        Assert.Equal(HttpStatusCode.Created, putNew.StatusCode);
        await ProblemAssert.IsProblemAsync(await _client.PutAsJsonAsync("/v1/items/put-x", new { itemId = "other", features = environment.RandomFeatures(3) }), HttpStatusCode.BadRequest, "itemId", "other");
    }

    [Fact]
    public async Task Trained_item_id_cannot_be_ingested()
    {
        string trained = environment.Bundle.ItemExternalIds[0];
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/items", new { itemId = trained, features = environment.RandomFeatures(4) }), HttpStatusCode.Conflict, $"'{trained}'", "trained");
    }

    public static TheoryData<string, string, string[]> BadBodies => new()
    {
        { "wrong-dims", """{"itemId":"bad","features":{"image":[1,2,3],"audio":[1,2]}}""", ["features.image", "dimension 32", "features.audio", "dimension 16"] },
        { "missing-modality", """{"itemId":"bad","features":{"image":[IMAGE]}}""", ["features.audio", "is missing", "audio (16 values)"] },
        { "extra-modality", """{"itemId":"bad","features":{"image":[IMAGE],"audio":[AUDIO],"text":[1]}}""", ["features.text", "not a modality"] },
        { "no-features", """{"itemId":"bad"}""", ["features", "is required"] },
        { "no-id", """{"features":{"image":[IMAGE],"audio":[AUDIO]}}""", ["itemId", "is required"] },
        { "non-numeric", """{"itemId":"bad","features":{"image":[1,"x",3],"audio":[AUDIO]}}""", ["$.features.image[1]"] },
        { "nan-literal", """{"itemId":"bad","features":{"image":[NaN],"audio":[AUDIO]}}""", ["$.features.image"] },
        { "nan-string", """{"itemId":"bad","features":{"image":["NaN"],"audio":[AUDIO]}}""", ["features.image"] },
        { "overflow", """{"itemId":"bad","features":{"image":[1e999],"audio":[AUDIO]}}""", ["features.image"] },
        { "all-zero", """{"itemId":"bad","features":{"image":[ZERO],"audio":[AUDIO]}}""", ["features.image", "all zeros"] },
        { "malformed", """{"itemId":"bad","features":{"image":[1,2""", ["$.features.image"] },
        { "not-an-object", """[1,2,3]""", ["$"] },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_item_bodies_are_400_naming_the_field_and_write_nothing(string name, string json, string[] mentions)
    {
        string image = string.Join(",", Enumerable.Repeat("0.5", 32));
        string body = json.Replace("IMAGE", image, StringComparison.Ordinal).Replace("AUDIO", string.Join(",", Enumerable.Repeat("0.25", 16)), StringComparison.Ordinal)
            .Replace("ZERO", string.Join(",", Enumerable.Repeat("0", 32)), StringComparison.Ordinal);
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        await ProblemAssert.IsProblemAsync(await _client.PostAsync("/v1/items", content), HttpStatusCode.BadRequest, mentions);
        Assert.Equal(HttpStatusCode.NotFound, (await _anonymous.GetAsync("/v1/items/bad")).StatusCode);
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public async Task Body_above_the_limit_is_413_and_wrong_content_type_is_415()
    {
        var huge = new { itemId = "huge", features = new Dictionary<string, float[]> { ["image"] = Enumerable.Repeat(0.123456f, 20_000).ToArray() } };
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/items", huge), HttpStatusCode.RequestEntityTooLarge, "65536");

        // Without Content-Length (chunked) the body is cut at the limit as it is read.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(huge))));
        chunked.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/items") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await ProblemAssert.IsProblemAsync(await _client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);

        using var text = new StringContent("itemId=x", Encoding.UTF8, "text/plain");
        await ProblemAssert.IsProblemAsync(await _client.PostAsync("/v1/items", text), HttpStatusCode.UnsupportedMediaType, "application/json", "text/plain");
        Assert.Equal(HttpStatusCode.NotFound, (await _anonymous.GetAsync("/v1/items/huge")).StatusCode);
    }

    [Fact]
    public async Task Writes_need_a_valid_api_key()
    {
        var body = new { itemId = "keyless", features = environment.RandomFeatures(5) };
        HttpResponseMessage missing = await _anonymous.PostAsJsonAsync("/v1/items", body);
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.Unauthorized, "X-Api-Key");
        Assert.Contains("ApiKey", missing.Headers.WwwAuthenticate.ToString());
        await ProblemAssert.IsProblemAsync(await _app.CreateKeyedClient("wrong-key").PostAsJsonAsync("/v1/items", body), HttpStatusCode.Unauthorized, "not hold a valid API key");
        await ProblemAssert.IsProblemAsync(await _anonymous.PostAsJsonAsync("/v1/items/batch", new { items = new[] { body } }), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await _anonymous.PutAsJsonAsync("/v1/items/keyless", body), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await _anonymous.PostAsJsonAsync("/v1/users/u1/interactions", new { itemIds = new[] { "1" } }), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await _anonymous.PostAsync("/v1/admin/model/reload", null), HttpStatusCode.Unauthorized);

        // Malformed JSON without a key: 401 first, nothing about the body is revealed.
        using var malformed = new StringContent("{", Encoding.UTF8, "application/json");
        await ProblemAssert.IsProblemAsync(await _anonymous.PostAsync("/v1/items", malformed), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.NotFound, (await _anonymous.GetAsync("/v1/items/keyless")).StatusCode);
    }

    [Fact]
    public async Task Batch_ingestion_is_all_or_nothing()
    {
        var good = Enumerable.Range(0, 5).Select(index => new { itemId = $"batch-{index}", features = environment.RandomFeatures(100 + index) }).ToList();
        var withBad = good.Cast<object>().Append(new { itemId = "batch-bad", features = new Dictionary<string, float[]> { ["image"] = [1f] } }).ToList();
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/items/batch", new { items = withBad }), HttpStatusCode.BadRequest, "items[5].features.image");
        Assert.Equal(HttpStatusCode.NotFound, (await _anonymous.GetAsync("/v1/items/batch-0")).StatusCode);

        var duplicate = good.Append(good[0]).ToList();
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/items/batch", new { items = duplicate }), HttpStatusCode.BadRequest, "items[5].itemId", "items[0].itemId");

        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/items/batch", new { items = Array.Empty<object>() }), HttpStatusCode.BadRequest, "1 to 50");

        HttpResponseMessage response = await _client.PostAsJsonAsync("/v1/items/batch", new { items = good });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(5, body.GetProperty("created").GetInt32());

        // One conflicting item rejects the batch; the new item in it is not written.
        var conflicting = new object[] { new { itemId = "batch-new", features = environment.RandomFeatures(200) }, new { itemId = "batch-1", features = environment.RandomFeatures(201) } };
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/items/batch", new { items = conflicting }), HttpStatusCode.Conflict, "batch-1");
        Assert.Equal(HttpStatusCode.NotFound, (await _anonymous.GetAsync("/v1/items/batch-new")).StatusCode);

        JsonElement repeat = await (await _client.PostAsJsonAsync("/v1/items/batch", new { items = good })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(5, repeat.GetProperty("unchanged").GetInt32());
    }
}
