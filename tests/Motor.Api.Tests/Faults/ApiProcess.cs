using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Motor.Api.Tests.Faults;

/// <summary>
/// The service as a real process (<c>dotnet Motor.Api.dll</c> from the test's output folder) on a loopback port, for
/// faults that need one: two processes on one store file, kill -9, a taken port. Output is captured; disposing kills it.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    public const string ApiKey = "fault-key-1";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ApiProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        Client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
    }

    public int Port { get; }

    public int Id => _process.Id;

    public HttpClient Client { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>A client without the API key (an anonymous caller).</summary>
    public HttpClient CreateAnonymousClient() => new() { BaseAddress = Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public int ExitCode => _process.ExitCode;

    public static ApiProcess Start(string bundlePath, string storePath, int? port = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        int listenPort = port ?? FreePort();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Motor.Api.dll"));
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{listenPort}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Motor__BundlePath"] = bundlePath;
        start.Environment["Motor__Store__EmbeddedPath"] = storePath;
        start.Environment["Motor__ApiKeys__0"] = ApiKey;
        start.Environment["Motor__RateLimit__PermitLimit"] = "1000000";
        start.Environment["Motor__RateLimit__AnonymousPermitLimit"] = "1000000";
        start.Environment["Motor__RateLimit__AnonymousBatchPermitLimit"] = "1000000";
        foreach (KeyValuePair<string, string> setting in settings ?? new Dictionary<string, string>())
        {
            start.Environment[setting.Key] = setting.Value;
        }

        var process = new Process { StartInfo = start };
        var api = new ApiProcess(process, listenPort);
        process.OutputDataReceived += (_, line) => api.Append(line.Data);
        process.ErrorDataReceived += (_, line) => api.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return api;
    }

    public async Task<ApiProcess> WaitReadyAsync(TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the service exited with {_process.ExitCode}: {Output}");
            }

            try
            {
                if ((await Client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return this;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the service did not become ready: {Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancellation.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: true);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        Client.Dispose();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
