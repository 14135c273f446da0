using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Motor.Api.Tests;

/// <summary>The real service in process (Program.cs), configured through "Motor:..." settings like appsettings.json.</summary>
public sealed class MotorApiFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public const string ApiKey = "test-key-1";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Not Development: appsettings.Development.json would add its local key.
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Motor:ApiKeys:0"] = ApiKey,

            // Tests make many anonymous reads from one address; the limit tests set their own.
            ["Motor:RateLimit:AnonymousPermitLimit"] = "1000000",
            ["Motor:RateLimit:AnonymousBatchPermitLimit"] = "1000000",
        }.Where(setting => !settings.ContainsKey(setting.Key)).Concat(settings)));
    }

    public HttpClient CreateKeyedClient(string key = ApiKey)
    {
        HttpClient client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    /// <summary>Starts the host and waits for /health/ready (bundle loaded and warmed up, store reachable).</summary>
    public async Task<MotorApiFactory> StartAsync(TimeSpan? timeout = null)
    {
        HttpClient client = CreateClient();
        var clock = Stopwatch.StartNew();
        string last = string.Empty;
        while (clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            HttpResponseMessage response = await client.GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return this;
            }

            last = await response.Content.ReadAsStringAsync();
            await Task.Delay(50);
        }

        throw new TimeoutException($"the service did not become ready: {last}");
    }
}
