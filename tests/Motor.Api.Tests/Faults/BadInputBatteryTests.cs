using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Motor.Api.Tests.Faults;

/// <summary>
/// The bad-input battery: malformed, mistyped, oversized and hostile requests to every route. Every answer is a 4xx
/// problem+json that names no server path and no .NET type, and nothing is written. The last test sends what only a
/// real Kestrel sees (an oversized request target and headers on the wire).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed partial class BadInputBatteryTests(ApiEnvironment environment) : IAsyncLifetime
{
    private const string Image = "IMAGE";
    private const string Audio = "AUDIO";
    private MotorApiFactory _app = null!;

    public static TheoryData<string, string, string, string?, bool> Cases()
    {
        string features = $$"""{"image":[{{Image}}],"audio":[{{Audio}}]}""";
        string longId = new('x', 300);
        var cases = new TheoryData<string, string, string, string?, bool>
        {
            // name, method, path, JSON body (null: none), with API key
            { "item: truncated JSON", "POST", "/v1/items", "{", true },
            { "item: array body", "POST", "/v1/items", "[]", true },
            { "item: number as id", "POST", "/v1/items", $$"""{"itemId":5,"features":{{features}}}""", true },
            { "item: features as array", "POST", "/v1/items", """{"itemId":"x","features":[1,2]}""", true },
            { "item: vector as string", "POST", "/v1/items", """{"itemId":"x","features":{"image":"abc"}}""", true },
            { "item: string in vector", "POST", "/v1/items", """{"itemId":"x","features":{"image":[1,"a"]}}""", true },
            { "item: NaN token", "POST", "/v1/items", """{"itemId":"x","features":{"image":[NaN]}}""", true },
            { "item: control char in id", "POST", "/v1/items", $$"""{"itemId":"a\u0001b","features":{{features}}}""", true },
            { "item: newline in id", "POST", "/v1/items", $$"""{"itemId":"a\nb","features":{{features}}}""", true },
            { "item: padded id", "POST", "/v1/items", $$"""{"itemId":" x","features":{{features}}}""", true },
            { "item: long id", "POST", "/v1/items", $$"""{"itemId":"{{longId}}","features":{{features}}}""", true },
            { "item: duplicate key", "POST", "/v1/items", $$"""{"itemId":"dup-a","itemId":"dup-b","features":{{features}}}""", true },
            { "item: unknown modality", "POST", "/v1/items", """{"itemId":"x","features":{"smell":[1]}}""", true },
            { "item: no features", "POST", "/v1/items", """{"itemId":"x"}""", true },
            { "item: null body", "POST", "/v1/items", "null", true },
            { "item: empty body", "POST", "/v1/items", "", true },
            { "item: no key", "POST", "/v1/items", $$"""{"itemId":"x","features":{{features}}}""", false },
            { "batch: items as string", "POST", "/v1/items/batch", """{"items":"x"}""", true },
            { "batch: numbers as items", "POST", "/v1/items/batch", """{"items":[5]}""", true },
            { "batch: null items", "POST", "/v1/items/batch", """{"items":null}""", true },
            { "batch: empty items", "POST", "/v1/items/batch", """{"items":[]}""", true },
            { "put: newline id in route", "PUT", "/v1/items/a%0Ab", $$"""{"features":{{features}}}""", true },
            { "put: id mismatch", "PUT", "/v1/items/route-id", $$"""{"itemId":"body-id","features":{{features}}}""", true },
            { "get item: control char", "GET", "/v1/items/%01", null, false },
            { "get item: long id", "GET", $"/v1/items/{longId}", null, false },
            { "get item: unknown", "GET", "/v1/items/never-ingested", null, false },
            { "recs: newline user", "GET", "/v1/users/a%0Ab/recommendations", null, false },
            { "recs: padded user", "GET", "/v1/users/%20a/recommendations", null, false },
            { "recs: k text", "GET", "/v1/users/0/recommendations?k=abc", null, false },
            { "recs: k negative", "GET", "/v1/users/0/recommendations?k=-1", null, false },
            { "recs: k zero", "GET", "/v1/users/0/recommendations?k=0", null, false },
            { "recs: k huge", "GET", "/v1/users/0/recommendations?k=100000000", null, false },
            { "recs: k fraction", "GET", "/v1/users/0/recommendations?k=1.5", null, false },
            { "recs: k empty", "GET", "/v1/users/0/recommendations?k=", null, false },
            { "recs: excludeSeen text", "GET", "/v1/users/0/recommendations?excludeSeen=maybe", null, false },
            { "recs: long query", "GET", $"/v1/users/0/recommendations?pad={new string('q', 9000)}", null, false },
            { "batch recs: users as string", "POST", "/v1/recommendations/batch", """{"userIds":"abc"}""", false },
            { "batch recs: numbers as users", "POST", "/v1/recommendations/batch", """{"userIds":[1,2]}""", false },
            { "batch recs: no users", "POST", "/v1/recommendations/batch", """{"userIds":[]}""", false },
            { "batch recs: k text", "POST", "/v1/recommendations/batch", """{"userIds":["0"],"k":"x"}""", false },
            { "batch recs: duplicate k", "POST", "/v1/recommendations/batch", """{"userIds":["0"],"k":5,"k":500}""", false },
            { "batch recs: newline user", "POST", "/v1/recommendations/batch", """{"userIds":["a\n"]}""", false },
            { "batch recs: null user", "POST", "/v1/recommendations/batch", """{"userIds":[null]}""", false },
            { "batch recs: excludeSeen text", "POST", "/v1/recommendations/batch", """{"userIds":["0"],"excludeSeen":"yes"}""", false },
            { "batch recs: too many users", "POST", "/v1/recommendations/batch", JsonSerializer.Serialize(new { userIds = Enumerable.Range(0, 1001).Select(user => $"u{user}") }), false },
            { "batch recs: over the result cap", "POST", "/v1/recommendations/batch", JsonSerializer.Serialize(new { userIds = Enumerable.Range(0, 1000).Select(user => $"u{user}"), k = 1000 }), false },
            { "similar: newline item", "GET", "/v1/items/a%0Ab/similar", null, false },
            { "similar: unknown item", "GET", "/v1/items/never-ingested/similar", null, false },
            { "similar: k text", "GET", "/v1/items/0/similar?k=abc", null, false },
            { "interactions: ids as string", "POST", "/v1/users/u/interactions", """{"itemIds":"x"}""", true },
            { "interactions: no ids", "POST", "/v1/users/u/interactions", """{"itemIds":[]}""", true },
            { "interactions: numbers", "POST", "/v1/users/u/interactions", """{"itemIds":[1]}""", true },
            { "interactions: newline user", "POST", "/v1/users/a%0A/interactions", """{"itemIds":["0"]}""", true },
            { "interactions: duplicate key", "POST", "/v1/users/u/interactions", """{"itemIds":["0"],"itemIds":["1"]}""", true },
            { "interactions: unknown item", "POST", "/v1/users/u/interactions", """{"itemIds":["never-ingested"]}""", true },
            { "interactions: no key", "POST", "/v1/users/u/interactions", """{"itemIds":["0"]}""", false },
            { "reload: path as number", "POST", "/v1/admin/model/reload", """{"bundlePath":5}""", true },
            { "reload: relative missing path", "POST", "/v1/admin/model/reload", """{"bundlePath":"no-such-bundle"}""", true },
            { "reload: no key", "POST", "/v1/admin/model/reload", "{}", false },
            { "route: unknown", "GET", "/nope", null, false },
            { "route: unknown under v1", "GET", "/v1/nope", null, false },
            { "method: DELETE item", "DELETE", "/v1/items/x", null, true },
            { "method: PATCH model", "PATCH", "/v1/model", null, false },
            { "method: GET batch", "GET", "/v1/recommendations/batch", null, false },
        };
        return cases;
    }

    public async Task InitializeAsync() => _app = await environment.CreateEmbedded().StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_bad_request_gets_a_4xx_problem_without_server_paths_or_type_names(string name, string method, string path, string? body, bool withKey)
    {
        HttpClient client = withKey ? _app.CreateKeyedClient() : _app.CreateClient();
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(Fill(body), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response = await client.SendAsync(request);
        string raw = await response.Content.ReadAsStringAsync();
        AssertClean(name, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, raw);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.CreateClient().GetAsync("/v1/items/dup-b")).StatusCode);
    }

    [Fact]
    public async Task Other_content_types_oversized_headers_and_bodies_get_problems_too()
    {
        HttpClient keyed = _app.CreateKeyedClient();
        using var xml = new StringContent("<item/>", Encoding.UTF8, "application/xml");
        HttpResponseMessage unsupported = await keyed.PostAsync("/v1/items", xml);
        AssertClean("xml body", (int)unsupported.StatusCode, unsupported.Content.Headers.ContentType?.MediaType, await unsupported.Content.ReadAsStringAsync());

        var headers = new HttpRequestMessage(HttpMethod.Get, "/v1/users/0/recommendations");
        headers.Headers.Add("X-Padding", new string('h', 40 * 1024));
        HttpResponseMessage large = await _app.CreateClient().SendAsync(headers);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, large.StatusCode);
        AssertClean("large headers", (int)large.StatusCode, large.Content.Headers.ContentType?.MediaType, await large.Content.ReadAsStringAsync());

        string values = string.Join(",", Enumerable.Repeat("0.123456", 2_000_000));
        using var huge = new StringContent("{\"itemId\":\"huge\",\"features\":{\"image\":[" + values + "]}}", Encoding.UTF8, "application/json");
        HttpResponseMessage tooLarge = await keyed.PostAsync("/v1/items", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        AssertClean("large body", (int)tooLarge.StatusCode, tooLarge.Content.Headers.ContentType?.MediaType, await tooLarge.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task On_a_real_Kestrel_an_oversized_target_and_headers_are_problems_and_a_broken_request_line_is_a_bare_400()
    {
        await using ApiProcess api = await ApiProcess.Start(environment.BundlePath, Path.Combine(environment.Root, "battery", $"{Guid.NewGuid():N}.log")).WaitReadyAsync();
        (int status, string? type, string body) = await RawAsync(api.Port, $"GET /v1/users/0/recommendations?pad={new string('q', 20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.Equal(414, status);
        AssertClean("long target on Kestrel", status, type, body);

        (status, type, body) = await RawAsync(api.Port, $"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Padding: {new string('h', 60_000)}\r\nConnection: close\r\n\r\n");
        Assert.Equal(431, status);
        AssertClean("large headers on Kestrel", status, type, body);

        (status, _, body) = await RawAsync(api.Port, "GARBAGE\r\n\r\n");
        Assert.Equal(400, status); // Kestrel cannot parse a request to answer: a bare 400, documented
        Assert.DoesNotMatch(Leak(), body);
    }

    private void AssertClean(string name, int status, string? mediaType, string raw)
    {
        Assert.True(status is >= 400 and < 500, $"{name}: {status} {raw}");
        Assert.True(mediaType == "application/problem+json", $"{name}: content type {mediaType}: {raw}");
        Assert.True(!raw.Contains(environment.Root, StringComparison.Ordinal) && !raw.Contains(AppContext.BaseDirectory.TrimEnd('/'), StringComparison.Ordinal), $"{name}: a server path: {raw}");
        Assert.False(Leak().IsMatch(raw), $"{name}: a server path or .NET type: {raw}");
    }

    private string Fill(string body)
        => body.Replace(Image, string.Join(",", Enumerable.Repeat("0.5", environment.Bundle.Manifest.Modalities.Single(modality => modality.Name == "image").Dimension)), StringComparison.Ordinal)
            .Replace(Audio, string.Join(",", Enumerable.Repeat("0.25", environment.Bundle.Manifest.Modalities.Single(modality => modality.Name == "audio").Dimension)), StringComparison.Ordinal);

    private static async Task<(int Status, string? ContentType, string Body)> RawAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync();
        int status = int.Parse(response.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        string? contentType = Regex.Match(response, @"Content-Type: ([^;\r\n]+)", RegexOptions.IgnoreCase) is { Success: true } match ? match.Groups[1].Value : null;
        int bodyStart = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, contentType, bodyStart >= 0 ? response[(bodyStart + 4)..] : string.Empty);
    }

    [GeneratedRegex(@"System\.[A-Z]|Microsoft\.[A-Z]|`\d|Exception\b|(^|[\s""'(])/(tmp|work|home|root|app|usr|var)/")]
    private static partial Regex Leak();
}
