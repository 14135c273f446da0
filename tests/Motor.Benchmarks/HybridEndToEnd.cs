using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Motor.Core.Datasets;
using Motor.Testing;

namespace Motor.Benchmarks;

/// <summary>
/// <c>hybrid-e2e --data DIR --run DIR --url URL --api-key KEY</c>: against a running service that serves the run's bundle
/// exported with <c>--without-cold-test</c>, ingests the run's cold-test items through POST /v1/items/batch (timed), asks
/// GET /v1/users/{id}/recommendations?k=20 for every user with a cold-test interaction, and prints the hybrid Recall@20
/// computed from the HTTP answers next to the trainer's offline figure in the run's metrics.json.
/// </summary>
public static class HybridEndToEnd
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Option(string name) => args.SkipWhile(arg => arg != name).Skip(1).FirstOrDefault()
            ?? throw new ArgumentException($"{name}: required (hybrid-e2e --data DIR --run DIR --url URL --api-key KEY)");
        InteractionDataset dataset = DatasetLoader.Load(Option("--data"));
        using JsonDocument metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(Option("--run"), "metrics.json")));
        JsonElement config = metrics.RootElement.GetProperty("config");
        ItemHoldout holdout = ItemHoldout.Create(dataset, config.GetProperty("coldItems").GetDouble(), config.GetProperty("seed").GetInt32());
        double offline = metrics.RootElement.GetProperty("coldStart").GetProperty("hybrid").GetProperty("recall@20").GetDouble();

        using var client = new HttpClient { BaseAddress = new Uri(Option("--url")), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add("X-Api-Key", Option("--api-key"));
        var items = holdout.ColdTestItems.Select(item => new
        {
            itemId = HybridRecallOverHttp.Id(item),
            features = dataset.Modalities.ToDictionary(modality => modality.Name, modality => modality.Array.Row(item).ToArray()),
        }).ToList();

        var clock = Stopwatch.StartNew();
        HttpResponseMessage ingested = await client.PostAsJsonAsync("/v1/items/batch", new { items });
        clock.Stop();
        if (!ingested.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"ingestion failed: {(int)ingested.StatusCode} {await ingested.Content.ReadAsStringAsync()}");
            return 1;
        }

        var queries = Stopwatch.StartNew();
        (double online, int users) = await HybridRecallOverHttp.MeasureAsync(client, holdout.ColdTestTargets);
        queries.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingested {items.Count} cold-test items in one batch: {clock.Elapsed.TotalMilliseconds:F0} ms; {users} users queried in {queries.Elapsed.TotalSeconds:F1} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hybrid Recall@20: HTTP {online:F4}, offline {offline:F4}, |difference| {Math.Abs(online - offline):E2}"));
        return Math.Round(online, 3) == Math.Round(offline, 3) ? 0 : 2;
    }
}
