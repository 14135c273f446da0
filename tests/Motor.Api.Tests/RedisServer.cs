using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Motor.Api.Tests;

/// <summary>
/// A real redis-server on a free local port, stopped by its PID with SIGKILL (and restartable on the same port).
/// Without persistence by default; with <c>persistDirectory</c> it runs as the deployment files configure it for
/// durability: AOF with appendfsync always, so a write Redis acknowledged survives a kill -9.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly string? _persistDirectory;
    private Process? _process;

    public RedisServer(string? persistDirectory = null)
    {
        _persistDirectory = persistDirectory;
        Port = FreePort();
        Start();
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=1000,syncTimeout=2000,asyncTimeout=2000";

    public void Start()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] persistence = _persistDirectory is null
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", "always", "--dir", Directory.CreateDirectory(_persistDirectory).FullName];
        foreach (string argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", string.Empty }.Concat(persistence))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("redis-server is not on the PATH: install it (Debian: apt-get install -y redis-server); the API tests need a real Redis", exception);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!Ping())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30) || _process.HasExited)
            {
                throw new InvalidOperationException($"redis-server on port {Port} did not answer PING");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Kills the server (by PID) and waits until it is gone.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit(5000);
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();

    private bool Ping()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            NetworkStream stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            byte[] buffer = new byte[16];
            int read = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
