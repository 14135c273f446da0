using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Motor.Core.Bundles;
using Motor.Testing;
using SkiaSharp;

namespace Motor.Api.Tests;

/// <summary>
/// POST /v1/items and /v1/items/batch with raw content ({"itemId", "text", "image"}): accepted by a bundle whose manifest
/// names featurizers, refused with a 400 naming the accepted inputs by one that does not, and bad images refused before
/// any model runs.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RawContentIngestionTests(ApiEnvironment environment)
{
    private static readonly string s_poster = Convert.ToBase64String(TestImages.Encode(300, 450, SKColors.DarkGreen, SKColors.Orange, SKEncodedImageFormat.Jpeg));

    [Fact]
    public async Task Text_and_image_are_ingested_on_a_bundle_with_featurizers()
    {
        ModelBundle bundle = await FeaturizedBundle.GetAsync(environment);
        Assert.All(bundle.Manifest.Modalities, modality => Assert.Matches("^[0-9a-f]{64}$", modality.Featurizer!.ModelSha256));
        await using MotorApiFactory app = await environment.CreateEmbedded(new Dictionary<string, string?> { ["Motor:BundlePath"] = bundle.DirectoryPath }).StartAsync();
        HttpClient client = app.CreateKeyedClient();

        var body = new { itemId = "raw-1", text = "A gardener discovers a hidden orange sun in her greenhouse.", image = s_poster };
        HttpResponseMessage created = await client.PostAsJsonAsync("/v1/items", body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonElement item = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ingested", item.GetProperty("source").GetString());
        Assert.Equal(8, item.GetProperty("tokens").GetProperty("text").GetArrayLength());
        Assert.Equal(8, item.GetProperty("tokens").GetProperty("image").GetArrayLength());

        // The featurizers are deterministic, so the same content is the same item (idempotent).
        HttpResponseMessage again = await client.PostAsJsonAsync("/v1/items", body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("unchanged", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());

        var batch = new
        {
            items = new object[]
            {
                new { itemId = "raw-2", text = "A heist in a casino goes wrong.", image = s_poster },
                new { itemId = "raw-3", text = "Two robots fall in love on Mars.", image = "data:image/jpeg;base64," + s_poster },
                new { itemId = "raw-4", text = "A documentary about bees.", image = s_poster },
            },
        };
        HttpResponseMessage batchResponse = await client.PostAsJsonAsync("/v1/items/batch", batch);
        Assert.Equal(HttpStatusCode.OK, batchResponse.StatusCode);
        Assert.Equal(3, (await batchResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("created").GetInt32());
        JsonElement similar = await client.GetFromJsonAsync<JsonElement>("/v1/items/raw-2/similar?k=5");
        Assert.Equal(5, similar.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Bad_raw_content_is_a_400_naming_the_field_and_nothing_is_written()
    {
        ModelBundle bundle = await FeaturizedBundle.GetAsync(environment);
        await using MotorApiFactory app = await environment.CreateEmbedded(new Dictionary<string, string?>
        {
            ["Motor:BundlePath"] = bundle.DirectoryPath,
            ["Motor:Content:MaxImageBytes"] = "60000",
        }).StartAsync();
        HttpClient client = app.CreateKeyedClient();
        byte[] jpeg = Convert.FromBase64String(s_poster);
        string text = "A story.";

        (object Body, string[] Mentions)[] cases =
        [
            (new { itemId = "bad-1", text, image = Convert.ToBase64String(jpeg[..(jpeg.Length / 2)]) }, ["image", "truncated"]),
            (new { itemId = "bad-2", text, image = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("just text, no picture. ", 20)))) }, ["image", "not an image"]),
            (new { itemId = "bad-3", text, image = Convert.ToBase64String(TestImages.PngDeclaring(50_000, 50_000)) }, ["image", "50000 x 50000"]),
            (new { itemId = "bad-4", text, image = "%%% not base64 %%%" }, ["image", "not valid base64"]),
            (new { itemId = "bad-5", text, image = new string('A', 200_000) }, ["image", "60000 bytes"]),
            (new { itemId = "bad-6", text }, ["image", "is required"]),
            (new { itemId = "bad-7", image = s_poster }, ["text", "is required"]),
            (new { itemId = "bad-8", text, image = s_poster, features = environment.RandomFeatures(3) }, ["not both"]),
        ];
        foreach ((object body, string[] mentions) in cases)
        {
            HttpResponseMessage response = await client.PostAsJsonAsync("/v1/items", body);
            JsonElement problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, mentions);
            AssertSpeaksTheCallersTerms(problem.ToString());
        }

        for (int index = 1; index <= cases.Length; index++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/items/bad-{index}")).StatusCode);
        }

        // A batch with one bad image writes nothing and names the item.
        var batch = new { items = new object[] { new { itemId = "bad-batch-1", text, image = s_poster }, new { itemId = "bad-batch-2", text, image = Convert.ToBase64String(TestImages.PngDeclaring(40_000, 2)) } } };
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/items/batch", batch), HttpStatusCode.BadRequest, "items[1].image", "40000 x 2");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/items/bad-batch-1")).StatusCode);
    }

    [Fact]
    public async Task A_bundle_without_featurizers_answers_raw_content_with_a_400_saying_what_it_accepts()
    {
        Assert.All(environment.Bundle.Manifest.Modalities, modality => Assert.Null(modality.Featurizer));
        await using MotorApiFactory app = await environment.CreateEmbedded().StartAsync();
        HttpClient client = app.CreateKeyedClient();

        HttpResponseMessage response = await client.PostAsJsonAsync("/v1/items", new { itemId = "raw-on-vectors", text = "A film.", image = s_poster });

        JsonElement problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "text", "does not accept 'text' or 'image'", "'features'", "image (32 values)", "audio (16 values)");
        AssertSpeaksTheCallersTerms(problem.ToString());
        HttpResponseMessage batch = await client.PostAsJsonAsync("/v1/items/batch", new { items = new object[] { new { itemId = "raw-batch", image = s_poster } } });
        await ProblemAssert.IsProblemAsync(batch, HttpStatusCode.BadRequest, "items[0].image", "does not accept");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/items/raw-on-vectors")).StatusCode);
    }

    /// <summary>No server path, no .NET type name in a problem.</summary>
    private void AssertSpeaksTheCallersTerms(string problem)
    {
        Assert.DoesNotContain(environment.Root, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("featurizers/", problem, StringComparison.Ordinal);
    }
}
