using System.Net;
using System.Net.Sockets;
using Motor.Api.Operations;

namespace Motor.Api.Tests.Deployment;

/// <summary>The image's HEALTHCHECK (<c>dotnet Motor.Api.dll healthcheck URL</c>): exit 0 only on a 2xx answer.</summary>
public sealed class HealthProbeTests
{
    [Theory]
    [InlineData(200, 0)]
    [InlineData(503, 1)]
    public async Task Probe_exits_0_only_when_the_url_answers_2xx(int status, int expectedExitCode)
    {
        int port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        Task serve = Task.Run(async () =>
        {
            HttpListenerContext context = await listener.GetContextAsync();
            context.Response.StatusCode = status;
            context.Response.Close();
        });

        Assert.True(HealthProbe.IsRequested(["healthcheck", $"http://127.0.0.1:{port}/health/live"]));
        int exitCode = await HealthProbe.RunAsync(["healthcheck", $"http://127.0.0.1:{port}/health/live"]);

        // The answer came from this listener (not from whatever else took the port): it saw the request.
        await serve.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(expectedExitCode, exitCode);
    }

    [Fact]
    public async Task Probe_exits_1_when_nothing_listens()
    {
        Assert.Equal(1, await HealthProbe.RunAsync(["healthcheck", $"http://127.0.0.1:{FreePort()}/health/live"]));
        Assert.False(HealthProbe.IsRequested([]));
        Assert.False(HealthProbe.IsRequested(["--urls", "http://127.0.0.1:5000"]));
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
