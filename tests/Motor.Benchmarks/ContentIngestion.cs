using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Motor.Testing;
using SkiaSharp;

namespace Motor.Benchmarks;

/// <summary>
/// <c>content-ingestion --url URL --api-key KEY [--requests 200] [--batches 5]</c>: against a running service whose bundle
/// names featurizers, times POST /v1/items with raw content (a 60-word text and a 300 x 450 JPEG made here), one request
/// at a time after 10 warm-up requests, and prints the median and p99; then times POST /v1/items/batch of 50 such items
/// and prints items per second. Every item has a new ID, so each request runs both featurizers.
/// </summary>
public static class ContentIngestion
{
    private const string Text = "A retired detective is pulled back into one last case when a series of letters arrives from a man he put in prison "
        + "twenty years ago. As the letters predict crimes before they happen, he races across a snowbound city with a young "
        + "reporter to uncover who is really writing them, and why the answers lead back to his own past.";

    public static async Task<int> RunAsync(string[] args)
    {
        string Option(string name, string? fallback = null) => args.SkipWhile(arg => arg != name).Skip(1).FirstOrDefault() ?? fallback
            ?? throw new ArgumentException($"{name}: required (content-ingestion --url URL --api-key KEY [--requests N] [--batches N])");
        int requests = int.Parse(Option("--requests", "200"), CultureInfo.InvariantCulture);
        int batches = int.Parse(Option("--batches", "5"), CultureInfo.InvariantCulture);
        string image = Convert.ToBase64String(TestImages.Encode(300, 450, SKColors.MidnightBlue, SKColors.Goldenrod, SKEncodedImageFormat.Jpeg, 85));
        using var client = new HttpClient { BaseAddress = new Uri(Option("--url")), Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Add("X-Api-Key", Option("--api-key"));
        string run = Guid.NewGuid().ToString("N")[..6];

        for (int index = 0; index < 10; index++)
        {
            await Post(client, "/v1/items", new { itemId = $"warm-{run}-{index}", text = Text, image });
        }

        var latencies = new double[requests];
        for (int index = 0; index < requests; index++)
        {
            long start = Stopwatch.GetTimestamp();
            await Post(client, "/v1/items", new { itemId = $"single-{run}-{index}", text = Text, image });
            latencies[index] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(latencies);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"single raw-content ingestion (text + 300x450 JPEG), {requests} requests: median {latencies[requests / 2]:F1} ms, p99 {latencies[(int)Math.Ceiling(requests * 0.99) - 1]:F1} ms, max {latencies[^1]:F1} ms"));

        double seconds = 0;
        for (int batch = 0; batch < batches; batch++)
        {
            var items = Enumerable.Range(0, 50).Select(index => new { itemId = $"batch-{run}-{batch}-{index}", text = Text + $" Part {index}.", image }).ToList();
            long start = Stopwatch.GetTimestamp();
            await Post(client, "/v1/items/batch", new { items });
            seconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batches of 50 raw-content items: {batches * 50 / seconds:F1} items/s ({seconds / batches * 1000:F0} ms per batch, mean of {batches})"));
        return 0;
    }

    private static async Task Post(HttpClient client, string path, object body)
    {
        HttpResponseMessage response = await client.PostAsJsonAsync(path, body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
