using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Motor.Api.Storage;

namespace Motor.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class StoreTests(ApiEnvironment environment)
{
    [Fact]
    public async Task Item_ingested_on_one_replica_is_served_by_another_through_redis_within_a_second()
    {
        string prefix = $"replicas-{Guid.NewGuid():N}";
        await using MotorApiFactory first = await environment.CreateRedis(prefix).StartAsync();
        await using MotorApiFactory second = await environment.CreateRedis(prefix).StartAsync();
        HttpClient reader = second.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/v1/items/shared-1")).StatusCode);

        HttpResponseMessage created = await first.CreateKeyedClient().PostAsJsonAsync("/v1/items", new { itemId = "shared-1", features = environment.FeaturesOf(3) });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var clock = Stopwatch.StartNew();
        while ((await reader.GetAsync("/v1/items/shared-1/similar?k=3")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), "the second replica did not serve the item within one second");
            await Task.Delay(10);
        }

        JsonElement onSecond = await reader.GetFromJsonAsync<JsonElement>("/v1/items/shared-1");
        Assert.Equal((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").ToString(), onSecond.GetProperty("tokens").ToString());

        // Interactions are shared too, and idempotency holds across replicas.
        await first.CreateKeyedClient().PostAsJsonAsync("/v1/users/roaming/interactions", new { itemIds = new[] { "shared-1" } });
        clock.Restart();
        while ((await reader.GetFromJsonAsync<JsonElement>("/v1/users/roaming/recommendations")).GetProperty("strategy").GetString() != "interactions")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), "interactions did not reach the second replica within one second");
            await Task.Delay(10);
        }

        Assert.Equal(HttpStatusCode.OK, (await second.CreateKeyedClient().PostAsJsonAsync("/v1/items", new { itemId = "shared-1", features = environment.FeaturesOf(3) })).StatusCode);
        await ProblemAssert.IsProblemAsync(await second.CreateKeyedClient().PostAsJsonAsync("/v1/items", new { itemId = "shared-1", features = environment.FeaturesOf(4) }), HttpStatusCode.Conflict);

        // Every catalog item's token IDs are in Redis, published once per model version.
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(environment.Redis.ConnectionString))
        {
            StackExchange.Redis.IDatabase database = redis.GetDatabase();
            string table = $"{prefix}:tokens:{environment.Bundle.Manifest.Version}";
            Assert.Equal(environment.Bundle.ItemCount, await database.HashLengthAsync(table));
            byte[] tokens = (byte[])(await database.HashGetAsync(table, environment.Bundle.ItemExternalIds[7]))!;
            Assert.Equal(Enumerable.Range(0, environment.Bundle.ItemTokens!.TokensPerItem).Select(token => (byte)environment.Bundle.ItemTokens[7, token]), tokens);
        }

        // A replica started later loads what is in Redis.
        await using MotorApiFactory third = await environment.CreateRedis(prefix).StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await third.CreateClient().GetAsync("/v1/items/shared-1")).StatusCode);
    }

    [Fact]
    public async Task Sixteen_writers_of_distinct_items_on_healthy_Redis_get_no_false_503_and_same_item_races_get_409()
    {
        string prefix = $"race-{Guid.NewGuid():N}";
        await using MotorApiFactory first = await environment.CreateRedis(prefix).StartAsync();
        await using MotorApiFactory second = await environment.CreateRedis(prefix).StartAsync();
        HttpClient[] clients = [first.CreateKeyedClient(), second.CreateKeyedClient()];
        var statuses = new ConcurrentBag<HttpStatusCode>();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(writer => Task.Run(async () =>
        {
            for (int write = 0; write < 25; write++)
            {
                HttpResponseMessage response = await clients[writer % 2].PostAsJsonAsync("/v1/items", new { itemId = $"w{writer}-{write}", features = environment.RandomFeatures((writer * 100) + write) });
                statuses.Add(response.StatusCode);
            }
        })));
        Assert.Equal(400, statuses.Count);
        Assert.True(statuses.All(status => status == HttpStatusCode.Created), string.Join(", ", statuses.GroupBy(status => status).Select(group => $"{group.Key}: {group.Count()}")));

        // 16 writers of ONE item with different contents: one wins, the others get 409 Conflict, never 503.
        var racing = new ConcurrentBag<HttpStatusCode>();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(writer => Task.Run(async () =>
            racing.Add((await clients[writer % 2].PostAsJsonAsync("/v1/items", new { itemId = "contended", features = environment.RandomFeatures(5000 + writer) })).StatusCode))));
        Assert.Equal(1, racing.Count(status => status == HttpStatusCode.Created));
        Assert.Equal(15, racing.Count(status => status == HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task Redis_down_keeps_reads_refuses_writes_with_503_and_recovers()
    {
        using var redis = new RedisServer();
        await using MotorApiFactory app = await environment.CreateRedis(server: redis).StartAsync();
        HttpClient client = app.CreateKeyedClient();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/items", new { itemId = "before-outage", features = environment.RandomFeatures(10) })).StatusCode);

        redis.Kill();
        string userPath = $"/v1/users/{environment.Bundle.UserExternalIds[0]}/recommendations";
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(userPath)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/items/before-outage/similar")).StatusCode);

        HttpResponseMessage refused = await WaitForStatusAsync(() => client.PostAsJsonAsync("/v1/items", new { itemId = "during-outage", features = environment.RandomFeatures(11) }), HttpStatusCode.ServiceUnavailable);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "Redis");
        Assert.NotNull(refused.Headers.RetryAfter);
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/v1/users/u/interactions", new { itemIds = new[] { "before-outage" } }), HttpStatusCode.ServiceUnavailable);

        // Redis trouble never takes the replica out: readiness stays 200 and says Degraded, reads go on.
        HttpResponseMessage ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        JsonElement readyBody = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Degraded", readyBody.GetProperty("status").GetString());
        Assert.Equal("Degraded", readyBody.GetProperty("checks").GetProperty("store").GetProperty("status").GetString());
        Assert.Equal("Healthy", readyBody.GetProperty("checks").GetProperty("model").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/items/during-outage")).StatusCode);
        string metrics = await client.GetStringAsync("/metrics");
        Assert.True(metrics.Contains("motor_store_errors_total{operation=\"POST /v1/items\"}", StringComparison.Ordinal), metrics);
        Assert.Contains("motor_store_up 0\n", metrics);

        // Back to normal (readiness Healthy, writes accepted) within 5 s of Redis returning, without a restart.
        redis.Start();
        var recovery = Stopwatch.StartNew();
        HttpResponseMessage written = await WaitForStatusAsync(() => client.PostAsJsonAsync("/v1/items", new { itemId = "after-outage", features = environment.RandomFeatures(12) }), HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.Created, written.StatusCode);
        string readiness = string.Empty;
        while (readiness != "Healthy" && recovery.Elapsed < TimeSpan.FromSeconds(10))
        {
            readiness = (await client.GetFromJsonAsync<JsonElement>("/health/ready")).GetProperty("status").GetString()!;
            await Task.Delay(readiness == "Healthy" ? 0 : 100);
        }

        Assert.Equal("Healthy", readiness);
        Assert.True(recovery.Elapsed < TimeSpan.FromSeconds(5), $"writes came back {recovery.Elapsed.TotalSeconds:0.0} s after Redis did");
        Assert.Contains("motor_store_up 1\n", await client.GetStringAsync("/metrics"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/items/before-outage")).StatusCode);
    }

    [Fact]
    public async Task Embedded_store_keeps_acknowledged_items_and_interactions_across_restarts()
    {
        string file = Path.Combine(environment.Root, "stores", $"restart-{Guid.NewGuid():N}.log");
        var settings = new Dictionary<string, string?> { ["Motor:Store:EmbeddedPath"] = file };
        string hash;
        await using (MotorApiFactory first = await environment.CreateEmbedded(settings).StartAsync())
        {
            HttpClient client = first.CreateKeyedClient();
            HttpResponseMessage created = await client.PostAsJsonAsync("/v1/items", new { itemId = "durable-1", features = environment.RandomFeatures(20) });
            hash = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("contentHash").GetString()!;
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/items/batch", new { items = new[] { new { itemId = "durable-2", features = environment.RandomFeatures(21) } } })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/users/durable-user/interactions", new { itemIds = new[] { "durable-1" } })).StatusCode);
        }

        await using MotorApiFactory second = await environment.CreateEmbedded(settings).StartAsync();
        HttpClient reader = second.CreateClient();
        Assert.Equal(hash, (await reader.GetFromJsonAsync<JsonElement>("/v1/items/durable-1")).GetProperty("contentHash").GetString());
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/v1/items/durable-2/similar")).StatusCode);
        JsonElement recommendations = await reader.GetFromJsonAsync<JsonElement>("/v1/users/durable-user/recommendations");
        Assert.Equal("interactions", recommendations.GetProperty("strategy").GetString());
    }

    private static async Task<HttpResponseMessage> WaitForStatusAsync(Func<Task<HttpResponseMessage>> call, HttpStatusCode status)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            HttpResponseMessage response = await call();
            if (response.StatusCode == status || clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                return response;
            }

            await Task.Delay(100);
        }
    }
}
