using System.ComponentModel.DataAnnotations;

namespace Motor.Api.Configuration;

/// <summary>The "Motor" configuration section (appsettings.json or environment variables <c>Motor__...</c>).</summary>
public sealed class MotorOptions
{
    public const string SectionName = "Motor";

    /// <summary>Folder of the model bundle to serve. Empty: <see cref="DemoBundlePath"/>.</summary>
    public string? BundlePath { get; set; }

    /// <summary>
    /// The demo bundle served when <see cref="BundlePath"/> is empty (relative to the working directory): made by
    /// <c>motor-trainer demo-bundle</c>, which run-demo.sh (the README's first command) and the API image run.
    /// </summary>
    public string DemoBundlePath { get; set; } = "data-local/demo-bundle";

    public StoreOptions Store { get; set; } = new();

    /// <summary>Keys accepted in the X-Api-Key header on write and admin routes. No key configured: those routes answer 401.</summary>
    public List<string> ApiKeys { get; set; } = [];

    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Largest k a caller may ask for.</summary>
    [Range(1, 100_000)]
    public int MaxK { get; set; } = 1000;

    /// <summary>Largest request body in bytes (413 above).</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Most results (users x k) one batch call may ask for: bounds the work and the answer's size (413 above).</summary>
    [Range(1, 10_000_000)]
    public int MaxBatchResults { get; set; } = 20_000;

    /// <summary>Most users in one POST /v1/recommendations/batch call.</summary>
    [Range(1, 100_000)]
    public int MaxBatchUsers { get; set; } = 1000;

    /// <summary>Most items in one POST /v1/items/batch call.</summary>
    [Range(1, 100_000)]
    public int MaxBatchItems { get; set; } = 1000;

    /// <summary>auto | cpu | cuda: where the ONNX item encoder runs.</summary>
    [RegularExpression("^(auto|cpu|cuda)$", ErrorMessage = "Motor:ExecutionProvider must be auto, cpu or cuda")]
    public string ExecutionProvider { get; set; } = "auto";

    /// <summary>Reload the bundle when its manifest.json changes on disk.</summary>
    public bool WatchBundle { get; set; }

    /// <summary>How often the bundle's manifest.json is checked when <see cref="WatchBundle"/> is on, in milliseconds.</summary>
    [Range(100, 3_600_000)]
    public int WatchIntervalMilliseconds { get; set; } = 2000;

    /// <summary>Storage of the served item vectors: float32 (exact), float16 or int8 (less memory traffic, approximate scores).</summary>
    [RegularExpression("^(float32|float16|int8)$", ErrorMessage = "Motor:IndexPrecision must be float32, float16 or int8")]
    public string IndexPrecision { get; set; } = "float32";

    /// <summary>Ingestion of raw content (text, image) for bundles whose manifest names featurizers.</summary>
    public ContentOptions Content { get; set; } = new();
}

/// <summary>Motor:Content: the in-process featurizers and the bounds on the raw content they accept.</summary>
public sealed class ContentOptions
{
    /// <summary>Folder of the featurizer model files; null: featurizers/ beside the application.</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Longest text, in characters (the text model reads its first 256 tokens anyway).</summary>
    [Range(1, 1_000_000)]
    public int MaxTextCharacters { get; set; } = 20_000;

    /// <summary>Largest decoded image file, in bytes (base64 text is 4/3 of it).</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxImageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest image width or height, read from the image header before decoding.</summary>
    [Range(1, 65_535)]
    public int MaxImageSide { get; set; } = 8192;

    /// <summary>Largest width x height (decoding takes 4 bytes per pixel).</summary>
    [Range(1, 1L << 30)]
    public long MaxImagePixels { get; set; } = 4096L * 4096;

    /// <summary>ONNX Runtime threads per featurizer call; 0: one per core.</summary>
    [Range(0, 256)]
    public int Threads { get; set; }
}

public sealed class StoreOptions
{
    /// <summary>StackExchange.Redis connection string; empty: the embedded store (in process + append-only file).</summary>
    public string? Redis { get; set; }

    /// <summary>Key prefix of everything the service writes to Redis.</summary>
    public string RedisKeyPrefix { get; set; } = "motor";

    /// <summary>Append-only file of the embedded store.</summary>
    public string EmbeddedPath { get; set; } = "data-local/motor-store.log";

    /// <summary>How often a replica polls the Redis change feed besides the pub/sub wake-up, in milliseconds.</summary>
    [Range(10, 60_000)]
    public int FeedPollMilliseconds { get; set; } = 250;

    /// <summary>Seconds announced in Retry-After when a write finds the store unavailable.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 2;

    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);
}

public sealed class RateLimitOptions
{
    /// <summary>Requests each API key may make per window (token bucket refilled every window).</summary>
    [Range(1, int.MaxValue)]
    public int PermitLimit { get; set; } = 600;

    /// <summary>Requests each client address may make per window without an API key (reads are anonymous).</summary>
    [Range(1, int.MaxValue)]
    public int AnonymousPermitLimit { get; set; } = 300;

    /// <summary>Batch calls (POST /v1/recommendations/batch) each client address may make per window without an API key.</summary>
    [Range(1, int.MaxValue)]
    public int AnonymousBatchPermitLimit { get; set; } = 10;

    /// <summary>Requests with an invalid API key each client address may make per minute.</summary>
    [Range(1, int.MaxValue)]
    public int FailedKeyPermitLimit { get; set; } = 10;

    [Range(1, 3600)]
    public int WindowSeconds { get; set; } = 60;
}
