using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Motor.Api.Tests;

internal static class ProblemAssert
{
    /// <summary>An RFC 9457 problem+json response with this status whose body mentions every <paramref name="mentions"/> (field names, limits).</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status, params string[] mentions)
    {
        string raw = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {raw}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement body = JsonDocument.Parse(raw).RootElement;
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()));
        Assert.True(body.TryGetProperty("traceId", out _), raw);
        foreach (string mention in mentions)
        {
            Assert.Contains(mention, raw, StringComparison.Ordinal);
        }

        return body;
    }

    public static JsonContent Json(object value) => JsonContent.Create(value);
}
