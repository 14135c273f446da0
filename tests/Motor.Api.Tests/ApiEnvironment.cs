using System.Net.Http.Json;
using System.Text.Json;
using Motor.Core.Bundles;
using Motor.Core.Features;
using Motor.Trainer.Demo;

namespace Motor.Api.Tests;

/// <summary>
/// Shared by every test: a real redis-server, and a small MOTOR bundle trained once with the demo model's configuration
/// on a small generated dataset (the trainer, as an operator would run it), then served by the tests through
/// Motor:BundlePath. A second version of the same run is exported for reload tests.
/// </summary>
public sealed class ApiEnvironment : IAsyncLifetime
{
    public static readonly DemoDatasetOptions DatasetOptions = new() { Users = 240, Items = 160, Groups = 8, InteractionsPerUser = 12, ImageDimension = 32, AudioDimension = 16, ColdItems = 10 };

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "motor-api-tests", Guid.NewGuid().ToString("N")[..8]);

    public RedisServer Redis { get; private set; } = null!;

    public string DatasetPath => Path.Combine(Root, "dataset");

    /// <summary>The bundle the tests serve.</summary>
    public string BundlePath { get; private set; } = null!;

    /// <summary>The same trained run exported under another version (for reloads).</summary>
    public string SecondBundlePath { get; private set; } = null!;

    public ModelBundle Bundle { get; private set; } = null!;

    /// <summary>Raw features per modality (ItemCount x dimension), as in the dataset folder.</summary>
    public IReadOnlyDictionary<string, NpyArray> Features { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        Redis = new RedisServer();
        DemoDataset.Write(DatasetPath, DatasetOptions);

        string runDirectory = Path.Combine(Root, "run");
        BundlePath = Path.Combine(Root, "bundles", "demo-v1");
        Bundle = await Task.Run(() => DemoBundleTrainer.TrainAndExport(DatasetPath, runDirectory, BundlePath, _ => { }, CancellationToken.None));
        SecondBundlePath = Path.Combine(Root, "bundles", "demo-v2");
        DemoBundleTrainer.Export(runDirectory, DatasetPath, SecondBundlePath, _ => { });
        Features = Bundle.Manifest.Modalities.ToDictionary(modality => modality.Name, modality => NpyFile.Read(Path.Combine(DatasetPath, $"{modality.Name}_feat.npy")));
    }

    public Task DisposeAsync()
    {
        Redis.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>A service on the embedded store (own file unless given) serving <see cref="BundlePath"/>.</summary>
    public MotorApiFactory CreateEmbedded(IReadOnlyDictionary<string, string?>? overrides = null)
        => new(Merge(new Dictionary<string, string?>
        {
            ["Motor:BundlePath"] = BundlePath,
            ["Motor:Store:EmbeddedPath"] = Path.Combine(Root, "stores", $"{Guid.NewGuid():N}.log"),
        }, overrides));

    /// <summary>A service on Redis with its own key prefix (isolated from other tests) unless given.</summary>
    public MotorApiFactory CreateRedis(string? prefix = null, RedisServer? server = null, IReadOnlyDictionary<string, string?>? overrides = null)
        => new(Merge(new Dictionary<string, string?>
        {
            ["Motor:BundlePath"] = BundlePath,
            ["Motor:Store:Redis"] = (server ?? Redis).ConnectionString,
            ["Motor:Store:RedisKeyPrefix"] = prefix ?? $"test-{Guid.NewGuid():N}",
            ["Motor:Store:FeedPollMilliseconds"] = "100",
        }, overrides));

    /// <summary>The raw features of dataset item <paramref name="item"/>, as an ingestion request's "features".</summary>
    public Dictionary<string, float[]> FeaturesOf(int item)
        => Features.ToDictionary(pair => pair.Key, pair => pair.Value.Row(item).ToArray());

    /// <summary>Random non-zero features of the right dimensions.</summary>
    public Dictionary<string, float[]> RandomFeatures(int seed)
    {
        var random = new Random(seed);
        return Bundle.Manifest.Modalities.ToDictionary(modality => modality.Name, modality => Enumerable.Range(0, modality.Dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray());
    }

    /// <summary>Copies the files of a bundle folder (no subfolders) into <paramref name="target"/>, created if needed.</summary>
    public static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }

    private static Dictionary<string, string?> Merge(Dictionary<string, string?> settings, IReadOnlyDictionary<string, string?>? overrides)
    {
        foreach (KeyValuePair<string, string?> pair in overrides ?? new Dictionary<string, string?>())
        {
            settings[pair.Key] = pair.Value;
        }

        return settings;
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiEnvironment>
{
    public const string Name = "api";
}
