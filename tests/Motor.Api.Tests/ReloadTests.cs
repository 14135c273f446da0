using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Motor.Api.Tests.Faults;
using Motor.Core.Bundles;

namespace Motor.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class ReloadTests(ApiEnvironment environment)
{
    [Fact]
    public async Task Hot_reload_while_requests_run_fails_none()
    {
        await using MotorApiFactory app = await environment.CreateEmbedded().StartAsync();
        HttpClient admin = app.CreateKeyedClient();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/items", new { itemId = "kept-across-reloads", features = environment.RandomFeatures(30) })).StatusCode);

        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentBag<string>();
        var versions = new ConcurrentDictionary<string, int>();
        int requests = 0;
        async Task LoadAsync(int worker)
        {
            HttpClient client = app.CreateClient();
            while (!stop.IsCancellationRequested)
            {
                string path = (Interlocked.Increment(ref requests) % 3) switch
                {
                    0 => $"/v1/users/{environment.Bundle.UserExternalIds[worker]}/recommendations?k=10",
                    1 => "/v1/items/kept-across-reloads/similar?k=5",
                    _ => $"/v1/items/{environment.Bundle.ItemExternalIds[worker]}/similar?k=5",
                };
                HttpResponseMessage response = await client.GetAsync(path);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    continue;
                }

                JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
                versions.AddOrUpdate(body.GetProperty("modelVersion").GetString()!, 1, (_, count) => count + 1);
            }
        }

        Task[] workers = [.. Enumerable.Range(0, 4).Select(worker => Task.Run(() => LoadAsync(worker)))];
        string[] bundles = [environment.SecondBundlePath, environment.BundlePath, environment.SecondBundlePath];
        foreach (string bundle in bundles)
        {
            await Task.Delay(150);
            HttpResponseMessage reloaded = await admin.PostAsJsonAsync("/v1/admin/model/reload", new { bundlePath = bundle });
            Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        }

        await Task.Delay(150);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.Empty(failures);
        Assert.True(requests > 20, $"only {requests} requests ran");
        Assert.Contains("demo-v2", versions.Keys);
        Assert.Contains(environment.Bundle.Manifest.Version, versions.Keys);
        JsonElement item = await app.CreateClient().GetFromJsonAsync<JsonElement>("/v1/items/kept-across-reloads");
        Assert.Equal("demo-v2", item.GetProperty("modelVersion").GetString());
    }

    [Fact]
    public async Task Watched_bundle_is_reloaded_when_it_changes_on_disk()
    {
        string served = Path.Combine(environment.Root, "bundles", $"watched-{Guid.NewGuid():N}");
        ApiEnvironment.CopyDirectory(environment.BundlePath, served);

        await using MotorApiFactory app = await environment.CreateEmbedded(new Dictionary<string, string?>
        {
            ["Motor:BundlePath"] = served,
            ["Motor:WatchBundle"] = "true",
            ["Motor:WatchIntervalMilliseconds"] = "100",
        }).StartAsync();
        HttpClient client = app.CreateClient();
        Assert.Equal(environment.Bundle.Manifest.Version, (await client.GetFromJsonAsync<JsonElement>("/v1/model")).GetProperty("version").GetString());

        // Replace the folder's contents with the second bundle, manifest last (as a deployment would).
        foreach (string file in Directory.GetFiles(environment.SecondBundlePath).OrderBy(file => file.EndsWith("manifest.json", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(served, Path.GetFileName(file)), overwrite: true);
        }

        await WaitForVersionAsync(client, "demo-v2", TimeSpan.FromSeconds(10), "the changed bundle was not reloaded");
    }

    [Fact]
    public async Task A_bundle_copied_file_by_file_manifest_first_is_served_within_2_s_of_the_copy_end_and_a_broken_one_never_replaces_the_live_one()
    {
        string served = Path.Combine(environment.Root, "copied", Guid.NewGuid().ToString("N")[..8], "bundle");
        ApiEnvironment.CopyDirectory(environment.BundlePath, served);

        // A real process with the default watch interval (2 s).
        await using ApiProcess app = await ApiProcess.Start(served, Path.Combine(environment.Root, "copied-stores", $"{Guid.NewGuid():N}.log"), settings: new Dictionary<string, string> { ["Motor__WatchBundle"] = "true" }).WaitReadyAsync();
        HttpClient client = app.Client;
        string user = environment.Bundle.UserExternalIds[0];

        // The manifest first, then the other files slowly, as a careless copy (or a file-by-file sync) does.
        string[] files = [.. Directory.GetFiles(environment.SecondBundlePath).OrderBy(file => !file.EndsWith("manifest.json", StringComparison.Ordinal))];
        foreach (string file in files)
        {
            File.Copy(file, Path.Combine(served, Path.GetFileName(file)), overwrite: true);
            await Task.Delay(300);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/users/{user}/recommendations")).StatusCode);
        }

        await WaitForVersionAsync(client, "demo-v2", TimeSpan.FromSeconds(2), "the bundle copied file by file was not served within 2 s of the copy's end");

        // A bundle whose files are all there at the right sizes but damaged: never served, reported, retried.
        foreach (string file in Directory.GetFiles(environment.BundlePath).OrderBy(file => file.EndsWith("manifest.json", StringComparison.Ordinal)))
        {
            byte[] bytes = File.ReadAllBytes(file);
            if (file.EndsWith("item_vectors.npy", StringComparison.Ordinal))
            {
                bytes[^1] ^= 0xFF;
            }

            File.WriteAllBytes(Path.Combine(served, Path.GetFileName(file)), bytes);
        }

        JsonElement ready = default;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            ready = await client.GetFromJsonAsync<JsonElement>("/health/ready");
            if (ready.GetProperty("checks").GetProperty("bundle").GetProperty("description").GetString()!.Contains("cannot be loaded", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal("Degraded", ready.GetProperty("checks").GetProperty("bundle").GetProperty("status").GetString());
        Assert.Contains("still serving demo-v2", ready.GetProperty("checks").GetProperty("bundle").GetProperty("description").GetString());
        Assert.DoesNotContain(environment.Root, ready.GetRawText());
        Assert.Equal("demo-v2", (await client.GetFromJsonAsync<JsonElement>("/v1/model")).GetProperty("version").GetString());
        string metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("motor_bundle_waiting 1\n", metrics);
        Assert.Matches(@"motor_bundle_load_failures_total [1-9]", metrics);
    }

    [Fact]
    public async Task A_bundle_link_switched_to_a_new_bundle_is_served_within_2_s()
    {
        // The documented rollout: bundles in folders of their own, models/current switched atomically.
        string models = Path.Combine(environment.Root, "linked", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(models);
        string current = Path.Combine(models, "current");
        BundleLink.Point(current, environment.BundlePath);
        await using MotorApiFactory app = await environment.CreateEmbedded(new Dictionary<string, string?>
        {
            ["Motor:BundlePath"] = current,
            ["Motor:WatchBundle"] = "true",
            ["Motor:WatchIntervalMilliseconds"] = "200",
        }).StartAsync();
        HttpClient client = app.CreateClient();
        Assert.Equal(environment.Bundle.Manifest.Version, (await client.GetFromJsonAsync<JsonElement>("/v1/model")).GetProperty("version").GetString());

        BundleLink.Point(current, environment.SecondBundlePath);
        await WaitForVersionAsync(client, "demo-v2", TimeSpan.FromSeconds(2), "the switched link was not served within 2 s");
    }

    [Fact]
    public async Task A_replica_started_before_its_bundle_exists_keeps_trying_and_serves_it_once_written()
    {
        // As a pod whose trainer Job has not written the bundle yet: unready (never crashed), saying why, then ready.
        string late = Path.Combine(environment.Root, "late", Guid.NewGuid().ToString("N")[..8], "tiktok-v7");
        await using MotorApiFactory app = environment.CreateEmbedded(new Dictionary<string, string?> { ["Motor:BundlePath"] = late });
        HttpClient client = app.CreateClient();
        HttpResponseMessage waiting = await client.GetAsync("/health/ready");
        var clock = Stopwatch.StartNew();
        string body = await waiting.Content.ReadAsStringAsync();
        while (!body.Contains("attempt 2", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
            waiting = await client.GetAsync("/health/ready");
            body = await waiting.Content.ReadAsStringAsync();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, waiting.StatusCode);
        string status = JsonDocument.Parse(body).RootElement.GetProperty("checks").GetProperty("model").GetProperty("description").GetString()!;
        Assert.Contains("'tiktok-v7' cannot be loaded yet", status);
        Assert.Contains("attempt 2", status);
        Assert.DoesNotContain(environment.Root, status);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        string metrics = await client.GetStringAsync("/metrics");
        Assert.Contains("motor_model_ready 0\n", metrics);
        Assert.Matches(@"motor_bundle_load_failures_total [1-9]", metrics);

        ApiEnvironment.CopyDirectory(environment.BundlePath, late);

        var written = Stopwatch.StartNew();
        while ((await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(written.Elapsed < TimeSpan.FromSeconds(20), "the bundle written after start was not loaded");
            await Task.Delay(100);
        }

        Assert.Equal(environment.Bundle.Manifest.Version, (await client.GetFromJsonAsync<JsonElement>("/v1/model")).GetProperty("version").GetString());
        Assert.Contains("motor_model_ready 1\n", await client.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Without_a_configured_bundle_the_demo_bundle_is_served_once_it_exists()
    {
        // As the README's first command: no Motor:BundlePath, the demo bundle made by motor-trainer demo-bundle.
        string demo = Path.Combine(environment.Root, "demo", Guid.NewGuid().ToString("N")[..8], "demo-bundle");
        await using MotorApiFactory app = environment.CreateEmbedded(new Dictionary<string, string?> { ["Motor:BundlePath"] = string.Empty, ["Motor:DemoBundlePath"] = demo });
        HttpClient client = app.CreateClient();
        HttpResponseMessage waiting = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, waiting.StatusCode);
        Assert.Contains("demo-bundle", await waiting.Content.ReadAsStringAsync());

        ApiEnvironment.CopyDirectory(environment.BundlePath, demo);
        var clock = Stopwatch.StartNew();
        while ((await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the demo bundle made after start was not served");
            await Task.Delay(100);
        }

        JsonElement model = await client.GetFromJsonAsync<JsonElement>("/v1/model");
        Assert.Equal(environment.Bundle.Manifest.Version, model.GetProperty("version").GetString());
        Assert.Equal("motor", model.GetProperty("manifest").GetProperty("itemRepresentation").GetString());
        JsonElement recommendations = await client.GetFromJsonAsync<JsonElement>($"/v1/users/{environment.Bundle.UserExternalIds[0]}/recommendations?k=5");
        Assert.Equal(5, recommendations.GetProperty("items").GetArrayLength());
    }

    /// <summary>Polls /v1/model until it serves <paramref name="version"/>; fails when that takes longer than <paramref name="within"/>.</summary>
    private static async Task WaitForVersionAsync(HttpClient client, string version, TimeSpan within, string failure)
    {
        var clock = Stopwatch.StartNew();
        while ((await client.GetFromJsonAsync<JsonElement>("/v1/model")).GetProperty("version").GetString() != version)
        {
            Assert.True(clock.Elapsed < within, failure);
            await Task.Delay(20);
        }
    }
}
