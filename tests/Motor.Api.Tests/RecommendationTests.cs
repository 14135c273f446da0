using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Motor.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class RecommendationTests(ApiEnvironment environment) : IAsyncLifetime
{
    private MotorApiFactory _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = await environment.CreateEmbedded().StartAsync();
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Known_user_gets_k_items_from_the_model_without_training_items()
    {
        int user = 3;
        string userId = environment.Bundle.UserExternalIds[user];
        JsonElement body = await _client.GetFromJsonAsync<JsonElement>($"/v1/users/{userId}/recommendations?k=10");
        Assert.Equal("model", body.GetProperty("strategy").GetString());
        Assert.Equal(environment.Bundle.Manifest.Version, body.GetProperty("modelVersion").GetString());
        string[] items = [.. body.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("itemId").GetString()!)];
        Assert.Equal(10, items.Length);
        float[] scores = [.. body.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("score").GetSingle())];
        Assert.Equal(scores.OrderByDescending(score => score), scores);
        var training = environment.Bundle.TrainingItemsByUser.Row(user).ToArray().Select(item => environment.Bundle.ItemExternalIds[item]).ToHashSet();
        Assert.NotEmpty(training);
        Assert.DoesNotContain(items, training.Contains);

        // excludeSeen=false may return training items: the top of the unfiltered list holds the best-scored one.
        JsonElement unfiltered = await _client.GetFromJsonAsync<JsonElement>($"/v1/users/{userId}/recommendations?k={environment.Bundle.ItemCount}&excludeSeen=false");
        Assert.Equal(environment.Bundle.ItemCount, unfiltered.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_user_without_interactions_gets_popular_items()
    {
        JsonElement body = await _client.GetFromJsonAsync<JsonElement>("/v1/users/never-seen/recommendations?k=5");
        Assert.Equal("popular", body.GetProperty("strategy").GetString());
        float[] counts = [.. body.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("score").GetSingle())];
        Assert.Equal(5, counts.Length);
        Assert.Equal(counts.OrderByDescending(count => count), counts);
        int[] degree = new int[environment.Bundle.ItemCount];
        foreach (int item in environment.Bundle.TrainingItemsByUser.Columns)
        {
            degree[item]++;
        }

        Assert.Equal(degree.Max(), (int)counts[0]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("1001")]
    public async Task K_out_of_range_is_400_naming_k_and_the_range(string k)
    {
        HttpResponseMessage response = await _client.GetAsync($"/v1/users/u1/recommendations?k={k}");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "\"k\"", "between 1 and 1000");
        response = await _client.GetAsync($"/v1/items/{environment.Bundle.ItemExternalIds[0]}/similar?k={k}");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "between 1 and 1000");
    }

    [Fact]
    public async Task Non_numeric_k_is_400()
    {
        HttpResponseMessage response = await _client.GetAsync("/v1/users/u1/recommendations?k=many");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "k", "many");
    }

    [Fact]
    public async Task Batch_scores_many_users_like_single_calls()
    {
        string[] users = [environment.Bundle.UserExternalIds[0], "somebody-new", environment.Bundle.UserExternalIds[7]];
        HttpResponseMessage response = await _client.PostAsJsonAsync("/v1/recommendations/batch", new { userIds = users, k = 5 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        JsonElement[] results = [.. body.GetProperty("results").EnumerateArray()];
        Assert.Equal(users, results.Select(result => result.GetProperty("userId").GetString()));
        Assert.Equal(["model", "popular", "model"], results.Select(result => result.GetProperty("strategy").GetString()));
        foreach (JsonElement result in results)
        {
            JsonElement single = await _client.GetFromJsonAsync<JsonElement>($"/v1/users/{result.GetProperty("userId").GetString()}/recommendations?k=5");
            Assert.Equal(
                single.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("itemId").GetString()),
                result.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("itemId").GetString()));
        }
    }

    [Fact]
    public async Task Batch_without_users_or_with_bad_k_is_400()
    {
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/recommendations/batch", new { userIds = Array.Empty<string>() }), HttpStatusCode.BadRequest, "userIds", "1 to 1000");
        await ProblemAssert.IsProblemAsync(await _client.PostAsJsonAsync("/v1/recommendations/batch", new { userIds = new[] { "a" }, k = 0 }), HttpStatusCode.BadRequest, "\"k\"");
    }

    [Fact]
    public async Task Similar_items_exclude_the_item_and_unknown_item_is_404()
    {
        string itemId = environment.Bundle.ItemExternalIds[5];
        JsonElement body = await _client.GetFromJsonAsync<JsonElement>($"/v1/items/{itemId}/similar?k=8");
        string[] items = [.. body.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("itemId").GetString()!)];
        Assert.Equal(8, items.Length);
        Assert.DoesNotContain(itemId, items);

        await ProblemAssert.IsProblemAsync(await _client.GetAsync("/v1/items/no-such-item/similar"), HttpStatusCode.NotFound, "no-such-item");
    }

    [Fact]
    public async Task Trained_item_has_tokens_per_modality_and_unknown_item_is_404()
    {
        int item = 11;
        JsonElement body = await _client.GetFromJsonAsync<JsonElement>($"/v1/items/{environment.Bundle.ItemExternalIds[item]}");
        Assert.Equal("trained", body.GetProperty("source").GetString());
        int m = environment.Bundle.Manifest.Quantization!.SubspaceCount;
        for (int modality = 0; modality < environment.Bundle.Manifest.Modalities.Count; modality++)
        {
            int[] tokens = [.. body.GetProperty("tokens").GetProperty(environment.Bundle.Manifest.Modalities[modality].Name).EnumerateArray().Select(token => token.GetInt32())];
            Assert.Equal(Enumerable.Range(0, m).Select(token => environment.Bundle.ItemTokens![item, (modality * m) + token]), tokens);
        }

        await ProblemAssert.IsProblemAsync(await _client.GetAsync("/v1/items/no-such-item"), HttpStatusCode.NotFound, "no-such-item");
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_problem_details()
    {
        await ProblemAssert.IsProblemAsync(await _client.GetAsync("/v2/nothing"), HttpStatusCode.NotFound, "/v2/nothing");
        await ProblemAssert.IsProblemAsync(await _client.DeleteAsync("/v1/model"), HttpStatusCode.MethodNotAllowed, "DELETE");
    }
}
