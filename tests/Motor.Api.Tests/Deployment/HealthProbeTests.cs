using System.Net;
using System.Net.Sockets;
using System.Text;
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
        // A one-answer HTTP server on a port the OS chose and this test holds (no race with other tests for a port).
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Task serve = Task.Run(async () =>
        {
            using Socket socket = await listener.AcceptSocketAsync();
            byte[] buffer = new byte[4096];
            string request = string.Empty;
            while (!request.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int read = await socket.ReceiveAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                request += Encoding.ASCII.GetString(buffer, 0, read);
            }

            Assert.StartsWith("GET /health/live ", request);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        });

        Assert.True(HealthProbe.IsRequested(["healthcheck", $"http://127.0.0.1:{port}/health/live"]));
        // A generous timeout: the first HTTP call of a busy test host can take seconds to start.
        int exitCode = await HealthProbe.RunAsync(["healthcheck", $"http://127.0.0.1:{port}/health/live"], TimeSpan.FromSeconds(30));
        await serve.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(expectedExitCode, exitCode);
    }

    [Fact]
    public async Task Probe_exits_1_when_nothing_listens()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        Assert.Equal(1, await HealthProbe.RunAsync(["healthcheck", $"http://127.0.0.1:{port}/health/live"]));
        Assert.False(HealthProbe.IsRequested([]));
        Assert.False(HealthProbe.IsRequested(["--urls", "http://127.0.0.1:5000"]));
    }
}
