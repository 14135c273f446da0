using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace Motor.Api.Tests.Faults;

/// <summary>
/// Abusive anonymous batches beside a normal client, against a real service process, as CI can check it without timing
/// the machine: the abusers get
/// their small batch budget and then refusals that each take a second (so 8 connections make a handful of requests a
/// second, not thousands), and the normal keyed client is never refused. The latency and memory figures come from
/// tests/Motor.Benchmarks/load/run-abuse-test.sh (docs/RELIABILITY.md).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AbuseTests(ApiEnvironment environment)
{
    [Fact]
    public async Task Eight_abusive_anonymous_batch_clients_get_their_budget_then_slow_refusals_and_a_keyed_client_is_never_refused()
    {
        await using ApiProcess app = await ApiProcess.Start(environment.BundlePath, Path.Combine(environment.Root, "abuse", $"{Guid.NewGuid():N}.log"), settings: new Dictionary<string, string>
        {
            ["Motor__RateLimit__AnonymousPermitLimit"] = "300",
            ["Motor__RateLimit__AnonymousBatchPermitLimit"] = "3",
            ["Motor__RateLimit__WindowSeconds"] = "60",
        }).WaitReadyAsync();
        var abusiveStatuses = new ConcurrentBag<(HttpStatusCode Status, TimeSpan Took)>();
        var normalStatuses = new ConcurrentBag<HttpStatusCode>();
        var details = new ConcurrentBag<string>();
        var batch = new { userIds = environment.Bundle.UserExternalIds.Take(100).ToArray(), k = 20 };
        var clock = Stopwatch.StartNew();
        Task[] abusers = [.. Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            using HttpClient client = app.CreateAnonymousClient();
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                var took = Stopwatch.StartNew();
                HttpResponseMessage response = await client.PostAsJsonAsync("/v1/recommendations/batch", batch);
                abusiveStatuses.Add((response.StatusCode, took.Elapsed));
                details.Add(await response.Content.ReadAsStringAsync());
            }
        }))];
        Task normal = Task.Run(async () =>
        {
            HttpClient client = app.Client;
            for (int index = 0; clock.Elapsed < TimeSpan.FromSeconds(3); index++)
            {
                normalStatuses.Add((await client.GetAsync($"/v1/users/{environment.Bundle.UserExternalIds[index % 50]}/recommendations")).StatusCode);
            }
        });
        await Task.WhenAll([.. abusers, normal]);

        Assert.True(abusiveStatuses.Count(answer => answer.Status == HttpStatusCode.OK) == 3, string.Join(" | ", details.Select(detail => System.Text.RegularExpressions.Regex.Match(detail, "\"detail\":\"[^\"]*").Value).Distinct()));
        (HttpStatusCode Status, TimeSpan Took)[] refused = [.. abusiveStatuses.Where(answer => answer.Status != HttpStatusCode.OK)];
        Assert.All(refused, answer => Assert.Equal(HttpStatusCode.TooManyRequests, answer.Status));
        Assert.All(refused, answer => Assert.True(answer.Took >= TimeSpan.FromSeconds(0.9), $"a refusal came after {answer.Took.TotalMilliseconds:0} ms"));
        Assert.InRange(abusiveStatuses.Count, 3, 8 * 5);
        Assert.NotEmpty(normalStatuses);
        Assert.All(normalStatuses, status => Assert.Equal(HttpStatusCode.OK, status));
    }
}
