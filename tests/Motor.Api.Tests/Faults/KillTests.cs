using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Xunit.Abstractions;

namespace Motor.Api.Tests.Faults;

/// <summary>
/// Nothing acknowledged is lost when the process or Redis dies mid-write: 20 kill -9 cycles of the service during
/// 8-connection batch ingestion on the embedded store, and Redis killed (SIGKILL) and restarted 5 times under 16
/// writers (two service processes on one Redis). An item counts as acknowledged when its write answered 2xx; every one
/// is read back at the end by a process that starts from the store alone.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class KillTests(ApiEnvironment environment, ITestOutputHelper output)
{
    [Fact]
    public async Task Twenty_kill_9_cycles_during_8_connection_batch_ingestion_lose_no_acknowledged_item()
    {
        string store = Path.Combine(environment.Root, "kill", Guid.NewGuid().ToString("N")[..8], "store.log");
        var acknowledged = new ConcurrentBag<string>();
        int failedWrites = 0;
        var random = new Random(20);
        for (int cycle = 0; cycle < 20; cycle++)
        {
            await using ApiProcess api = await ApiProcess.Start(environment.BundlePath, store).WaitReadyAsync();
            using var stop = new CancellationTokenSource();
            Task[] writers = [.. Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
            {
                for (int batch = 0; !stop.IsCancellationRequested; batch++)
                {
                    string[] ids = [.. Enumerable.Range(0, 10).Select(index => $"c{cycle}-w{writer}-b{batch}-{index}")];
                    try
                    {
                        HttpResponseMessage response = await api.Client.PostAsJsonAsync("/v1/items/batch", new { items = ids.Select((id, index) => new { itemId = id, features = environment.RandomFeatures((cycle * 100_000) + (writer * 1000) + (batch * 10) + index) }) });
                        if (response.IsSuccessStatusCode)
                        {
                            foreach (string id in ids)
                            {
                                acknowledged.Add(id);
                            }
                        }
                    }
                    catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
                    {
                        Interlocked.Increment(ref failedWrites); // the kill cut it: not acknowledged
                        return;
                    }
                }
            }))];
            await Task.Delay(200 + random.Next(400));
            api.KillHard();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        await using ApiProcess survivor = await ApiProcess.Start(environment.BundlePath, store).WaitReadyAsync();
        string[] lost = [.. await MissingAsync(survivor.Client, acknowledged)];
        output.WriteLine($"20 kill -9 cycles: {acknowledged.Count} items acknowledged, {failedWrites} writes cut by the kills, {lost.Length} acknowledged items lost");
        Assert.True(acknowledged.Count > 1000, $"only {acknowledged.Count} items were acknowledged: the test measured too little");
        Assert.Empty(lost);
    }

    [Fact]
    public async Task Redis_killed_and_restarted_5_times_under_16_writers_loses_no_acknowledged_item()
    {
        using var redis = new RedisServer(Path.Combine(environment.Root, "redis-kill", Guid.NewGuid().ToString("N")[..8]));
        var settings = new Dictionary<string, string>
        {
            ["Motor__Store__Redis"] = redis.ConnectionString,
            ["Motor__Store__RedisKeyPrefix"] = $"kill-{Guid.NewGuid():N}",
            ["Motor__Store__FeedPollMilliseconds"] = "100",
        };
        string StorePath() => Path.Combine(environment.Root, "redis-kill-unused", $"{Guid.NewGuid():N}.log");
        var acknowledged = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<HttpStatusCode, int>();
        using var stop = new CancellationTokenSource();
        await using (ApiProcess first = await ApiProcess.Start(environment.BundlePath, StorePath(), settings: settings).WaitReadyAsync())
        await using (ApiProcess second = await ApiProcess.Start(environment.BundlePath, StorePath(), settings: settings).WaitReadyAsync())
        {
            HttpClient[] clients = [first.Client, second.Client];
            Task[] writers = [.. Enumerable.Range(0, 16).Select(writer => Task.Run(async () =>
            {
                for (int write = 0; !stop.IsCancellationRequested; write++)
                {
                    string id = $"r-w{writer}-{write}";
                    HttpResponseMessage response = await clients[writer % 2].PostAsJsonAsync("/v1/items", new { itemId = id, features = environment.RandomFeatures((writer * 100_000) + write) });
                    statuses.AddOrUpdate(response.StatusCode, 1, (_, count) => count + 1);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add(id);
                    }
                    else
                    {
                        await Task.Delay(50);
                    }
                }
            }))];

            for (int outage = 0; outage < 5; outage++)
            {
                await Task.Delay(400);
                redis.Kill();
                await Task.Delay(300);
                redis.Start();
            }

            await Task.Delay(1000);
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        // A replica that starts now knows only what Redis kept.
        await using ApiProcess fresh = await ApiProcess.Start(environment.BundlePath, StorePath(), settings: settings).WaitReadyAsync();
        string[] lost = [.. await MissingAsync(fresh.Client, acknowledged)];
        output.WriteLine($"Redis killed 5 times: {acknowledged.Count} items acknowledged, answers {string.Join(", ", statuses.OrderBy(pair => pair.Key).Select(pair => $"{(int)pair.Key}: {pair.Value}"))}, {lost.Length} acknowledged items lost");
        Assert.True(acknowledged.Count > 200, $"only {acknowledged.Count} items were acknowledged: the test measured too little");
        Assert.True(statuses.Keys.All(status => status is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable), "answers other than 201 and 503");
        Assert.Empty(lost);
    }

    private static async Task<IEnumerable<string>> MissingAsync(HttpClient client, IEnumerable<string> itemIds)
    {
        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(itemIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (itemId, cancellationToken) =>
        {
            if ((await client.GetAsync($"/v1/items/{itemId}", cancellationToken)).StatusCode != HttpStatusCode.OK)
            {
                missing.Add(itemId);
            }
        });
        return missing;
    }
}
