using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Motor.Api.Operations;

/// <summary>
/// The service's metrics in Prometheus text format (GET /metrics): request rate and latency per route, recommendation
/// latency, ingested items, store errors and the served model. Lock-free counters and fixed-bucket histograms.
/// </summary>
public sealed class ApiMetrics
{
    private static readonly double[] s_latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<(string Method, string Route, int Status), Counter> _requests = new();
    private readonly ConcurrentDictionary<(string Method, string Route), Histogram> _requestDurations = new();
    private readonly ConcurrentDictionary<string, Histogram> _recommendationDurations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counter> _storeErrors = new(StringComparer.Ordinal);
    private readonly Counter _ingested = new();
    private readonly Counter _modelLoads = new();
    private readonly Counter _bundleLoadFailures = new();
    private volatile ModelInfo? _model;
    private long _catalogSize;
    private int _storeUp = -1; // not checked yet
    private int _bundleWaiting;

    /// <summary>The route template of an endpoint as a bounded label ("/v1/items", never the raw path); null without a route.</summary>
    public static string? RouteOf(Endpoint? endpoint)
        => (endpoint as RouteEndpoint)?.RoutePattern.RawText is { } raw ? (raw.Length > 1 ? raw.TrimEnd('/') : raw) : null;

    public void RecordRequest(string method, string route, int status, double seconds)
    {
        _requests.GetOrAdd((method, route, status), static _ => new Counter()).Increment();
        _requestDurations.GetOrAdd((method, route), static _ => new Histogram(s_latencyBuckets)).Observe(seconds);
    }

    /// <summary><paramref name="kind"/>: user, batch or similar.</summary>
    public void RecordRecommendation(string kind, double seconds)
        => _recommendationDurations.GetOrAdd(kind, static _ => new Histogram(s_latencyBuckets)).Observe(seconds);

    public void AddIngested(int items) => _ingested.Add(items);

    public void RecordStoreError(string operation) => _storeErrors.GetOrAdd(operation, static _ => new Counter()).Increment();

    public void SetModel(string version, int catalogSize)
    {
        _model = new ModelInfo(version, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        _modelLoads.Increment();
        SetCatalogSize(catalogSize);
    }

    public void SetCatalogSize(int catalogSize) => Interlocked.Exchange(ref _catalogSize, catalogSize);

    /// <summary>The store's state at its last check: up (writes accepted) or down (degraded: reads served, writes 503).</summary>
    public void SetStoreUp(bool up) => Interlocked.Exchange(ref _storeUp, up ? 1 : 0);

    /// <summary>Whether the bundle watcher waits for a changed bundle on disk (incomplete or failing to load).</summary>
    public void SetBundleWaiting(bool waiting) => Interlocked.Exchange(ref _bundleWaiting, waiting ? 1 : 0);

    /// <summary>A bundle that could not be loaded (at start, by the watcher or by an admin reload).</summary>
    public void RecordBundleLoadFailure() => _bundleLoadFailures.Increment();

    public string Render()
    {
        var text = new StringBuilder(4096);
        Header(text, "motor_http_requests_total", "counter", "HTTP requests by method, route template and status code.");
        foreach (KeyValuePair<(string Method, string Route, int Status), Counter> pair in _requests.OrderBy(pair => pair.Key.Route, StringComparer.Ordinal).ThenBy(pair => pair.Key.Method).ThenBy(pair => pair.Key.Status))
        {
            Sample(text, "motor_http_requests_total", $"method=\"{Escape(pair.Key.Method)}\",route=\"{Escape(pair.Key.Route)}\",status=\"{pair.Key.Status}\"", pair.Value.Value);
        }

        Header(text, "motor_http_request_duration_seconds", "histogram", "HTTP request latency by method and route template.");
        foreach (KeyValuePair<(string Method, string Route), Histogram> pair in _requestDurations.OrderBy(pair => pair.Key.Route, StringComparer.Ordinal).ThenBy(pair => pair.Key.Method))
        {
            pair.Value.Write(text, "motor_http_request_duration_seconds", $"method=\"{Escape(pair.Key.Method)}\",route=\"{Escape(pair.Key.Route)}\"");
        }

        Header(text, "motor_recommendation_duration_seconds", "histogram", "Time to compute recommendations (top-k search and ID mapping), by kind: user, batch, similar.");
        foreach (KeyValuePair<string, Histogram> pair in _recommendationDurations.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            pair.Value.Write(text, "motor_recommendation_duration_seconds", $"kind=\"{Escape(pair.Key)}\"");
        }

        Header(text, "motor_items_ingested_total", "counter", "Items created or replaced by cold-start ingestion on this replica.");
        Sample(text, "motor_items_ingested_total", null, _ingested.Value);

        Header(text, "motor_store_errors_total", "counter", "Store operations that failed (the request answered 503), by operation.");
        foreach (KeyValuePair<string, Counter> pair in _storeErrors.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            Sample(text, "motor_store_errors_total", $"operation=\"{Escape(pair.Key)}\"", pair.Value.Value);
        }

        Header(text, "motor_model_info", "gauge", "The served model version (value 1).");
        if (_model is { } model)
        {
            Sample(text, "motor_model_info", $"version=\"{Escape(model.Version)}\"", 1);
            Header(text, "motor_model_loaded_timestamp_seconds", "gauge", "When the served model was swapped in (Unix time).");
            Sample(text, "motor_model_loaded_timestamp_seconds", null, model.LoadedAtUnixSeconds);
        }

        Header(text, "motor_model_ready", "gauge", "1 when a model is loaded and served, 0 while the replica has none (it keeps trying).");
        Sample(text, "motor_model_ready", null, _model is null ? 0 : 1);
        Header(text, "motor_bundle_waiting", "gauge", "1 while a changed bundle on disk is incomplete or fails to load (the live model is still served, the watcher retries).");
        Sample(text, "motor_bundle_waiting", null, Interlocked.CompareExchange(ref _bundleWaiting, 0, 0));
        Header(text, "motor_bundle_load_failures_total", "counter", "Bundles that could not be loaded (at start, by the watcher or by a reload); the live model stays.");
        Sample(text, "motor_bundle_load_failures_total", null, _bundleLoadFailures.Value);
        if (Interlocked.CompareExchange(ref _storeUp, 0, 0) is int storeUp and >= 0)
        {
            Header(text, "motor_store_up", "gauge", "1 when the store accepts writes, 0 when degraded (reads are served, writes answer 503 with Retry-After).");
            Sample(text, "motor_store_up", null, storeUp);
        }

        Header(text, "motor_model_loads_total", "counter", "Models loaded and swapped in (start and reloads).");
        Sample(text, "motor_model_loads_total", null, _modelLoads.Value);
        Header(text, "motor_catalog_items", "gauge", "Items the served model can recommend (trained + ingested).");
        Sample(text, "motor_catalog_items", null, Interlocked.Read(ref _catalogSize));
        return text.ToString();
    }

    private static void Header(StringBuilder text, string name, string type, string help)
        => text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string? labels, double value)
    {
        text.Append(name);
        if (!string.IsNullOrEmpty(labels))
        {
            text.Append('{').Append(labels).Append('}');
        }

        text.Append(' ').Append(Format(value)).Append('\n');
    }

    private static string Format(double value)
        => double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed record ModelInfo(string Version, long LoadedAtUnixSeconds);

    private sealed class Counter
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);

        public void Add(long amount) => Interlocked.Add(ref _value, amount);
    }

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private long _sumMicroseconds;

        public void Observe(double seconds)
        {
            int bucket = 0;
            while (bucket < bounds.Length && seconds > bounds[bucket])
            {
                bucket++;
            }

            Interlocked.Increment(ref _counts[bucket]);

            // Microsecond resolution keeps the sum an integer that Interlocked can add.
            Interlocked.Add(ref _sumMicroseconds, (long)Math.Round(seconds * 1e6));
        }

        public void Write(StringBuilder text, string name, string labels)
        {
            long cumulative = 0;
            for (int bucket = 0; bucket < bounds.Length; bucket++)
            {
                cumulative += Interlocked.Read(ref _counts[bucket]);
                Sample(text, name + "_bucket", $"{labels},le=\"{Format(bounds[bucket])}\"", cumulative);
            }

            cumulative += Interlocked.Read(ref _counts[bounds.Length]);
            Sample(text, name + "_bucket", $"{labels},le=\"+Inf\"", cumulative);
            Sample(text, name + "_sum", labels, Interlocked.Read(ref _sumMicroseconds) / 1e6);
            Sample(text, name + "_count", labels, cumulative);
        }
    }
}
