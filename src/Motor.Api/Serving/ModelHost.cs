using System.Diagnostics;
using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Api.Operations;
using Motor.Api.Storage;
using Motor.Core.Bundles;
using Motor.Core.Search;
using Motor.Inference.Encoding;

namespace Motor.Api.Serving;

/// <summary>Creates the vector index of a bundle's item vectors (ItemCount x Dimension, row-major).</summary>
public delegate IVectorIndex VectorIndexFactory(float[] itemVectors, int itemCount, int dimension);

/// <summary>No model is being served yet (starting, building the demo bundle, or the last load failed).</summary>
public sealed class ModelNotReadyException(string status) : Exception($"no model is loaded yet: {status}")
{
    public string Status { get; } = status;
}

/// <summary>
/// Owns the served model. A new bundle is loaded, warmed up and given every ingested item beside the live one, then
/// swapped in with one reference assignment: a request sees either the old or the new model, never a mixture. The old
/// model is disposed after a grace period so that requests still using it finish.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private static readonly TimeSpan s_retireDelay = TimeSpan.FromSeconds(30);

    private readonly IItemStore _store;
    private readonly VectorIndexFactory _indexFactory;
    private readonly ExecutionProviderPreference _executionProvider;
    private readonly ApiMetrics _metrics;
    private readonly ServedModelVersion _servedVersion;
    private readonly ILogger<ModelHost> _logger;
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private readonly Lock _applyLock = new();
    private volatile ServingModel? _current;
    private volatile string _status = "starting";

    public ModelHost(IItemStore store, VectorIndexFactory indexFactory, IOptions<MotorOptions> options, ApiMetrics metrics, ServedModelVersion servedVersion, ILogger<ModelHost> logger)
    {
        _store = store;
        _indexFactory = indexFactory;
        _executionProvider = ExecutionProviderPreferenceParser.Parse(options.Value.ExecutionProvider);
        _metrics = metrics;
        _servedVersion = servedVersion;
        _logger = logger;
        store.State.ItemsApplied += OnItemsApplied;
    }

    public ServingModel? Current => _current;

    /// <summary>Folder of the served bundle (what a reload without a path and the watcher reload).</summary>
    public string? BundlePath { get; private set; }

    /// <summary>"ready", or what the host is doing / why it has no model.</summary>
    public string Status => _status;

    public ServingModel Require() => _current ?? throw new ModelNotReadyException(_status);

    public void SetStatus(string status) => _status = status;

    /// <summary>The bundle's folder name: what status texts that anonymous callers see name, instead of a server path.</summary>
    public static string BundleName(string bundlePath) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(bundlePath)));

    /// <summary>
    /// <paramref name="message"/> with every server spelling of <paramref name="bundlePath"/> (the folder a link names,
    /// the full path, the path as configured) replaced by <paramref name="shownAs"/>: the one rule for what callers see.
    /// </summary>
    public static string HidePath(string message, string bundlePath, string shownAs)
    {
        foreach (string spelling in new[] { BundleLink.Resolve(bundlePath), Path.GetFullPath(bundlePath), bundlePath }.Distinct().OrderByDescending(text => text.Length))
        {
            message = message.Replace(spelling, shownAs, StringComparison.Ordinal);
        }

        return message;
    }

    /// <summary>Loads <paramref name="bundlePath"/> beside the live model and swaps atomically; the live model stays on any error.</summary>
    /// <exception cref="BundleException">The bundle is missing, damaged or does not match its manifest.</exception>
    public async Task<ServingModel> LoadAsync(string bundlePath, CancellationToken cancellationToken)
    {
        await _loadLock.WaitAsync(cancellationToken);
        try
        {
            if (_current is null)
            {
                _status = $"loading bundle '{BundleName(bundlePath)}'";
            }

            var stopwatch = Stopwatch.StartNew();
            ServingModel model = await Task.Run(() => Build(bundlePath), cancellationToken);
            ServingModel? previous;
            IReadOnlyList<(string ItemId, string Reason)> skipped;
            try
            {
                // Most ingested items are applied outside the lock; the second pass under it only picks up what arrived meanwhile.
                model.Apply(_store.State.Items.ToArray());
                lock (_applyLock)
                {
                    skipped = model.Apply(_store.State.Items.ToArray());
                    previous = _current;
                    _current = model;
                    _servedVersion.Value = model.Version;
                    BundlePath = bundlePath;
                }
            }
            catch
            {
                model.Dispose();
                throw;
            }

            _status = "ready";
            _metrics.SetModel(model.Version, model.CatalogSize);

            // The load's temporary arrays (the bundle's item vectors, now in the index) are large and dead: give their
            // memory back to the system now rather than at some later full collection. Loads are rare.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            _logger.LogInformation(
                "Serving model {ModelVersion} ({Backbone}, items {ItemRepresentation}) from {BundlePath}: {Users} users, {TrainedItems} trained + {IngestedItems} ingested items, vectors {VectorSize}, encoder on {ExecutionProvider}, loaded in {LoadMilliseconds} ms",
                model.Version, model.Manifest.Backbone, model.Manifest.ItemRepresentation, bundlePath, model.Bundle.UserCount, model.TrainedItemCount, model.IngestedItemCount, model.VectorSize, model.ExecutionProvider ?? "none", stopwatch.ElapsedMilliseconds);
            if (skipped.Count > 0)
            {
                _logger.LogWarning("Model {ModelVersion} does not serve {SkippedItems} ingested items (first: '{ItemId}': {Reason})", model.Version, skipped.Count, skipped[0].ItemId, skipped[0].Reason);
            }

            if (previous is not null)
            {
                Retire(previous);
            }

            _ = PublishTokenTableAsync(model);
            return model;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            _metrics.RecordBundleLoadFailure();
            if (_current is not null)
            {
                throw;
            }

            _status = $"failed to load bundle '{BundleName(bundlePath)}': {HidePath(exception.Message, bundlePath, BundleName(bundlePath))}";
            throw;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    public void Dispose()
    {
        _store.State.ItemsApplied -= OnItemsApplied;
        _current?.Dispose();
        _loadLock.Dispose();
    }

    private ServingModel Build(string bundlePath)
    {
        // A link (models/current) is resolved once: a switch during the load cannot mix two bundles.
        string folder = BundleLink.Resolve(bundlePath);
        string manifestHash = ServingModel.HashManifest(folder);
        ModelBundle bundle = ModelBundleReader.Load(folder);
        ItemEncoderSession? session = bundle.Manifest.HasItemEncoder ? ItemEncoderSession.Open(bundle, _executionProvider, _logger) : null;
        try
        {
            IVectorIndex index = _indexFactory(bundle.ItemVectors, bundle.ItemCount, bundle.VectorSize);

            // One copy of each item vector: the index owns them from here on, the bundle's array is let go.
            var model = new ServingModel(bundle with { ItemVectors = [] }, index, session, manifestHash);
            model.WarmUp();
            return model;
        }
        catch
        {
            session?.Dispose();
            throw;
        }
    }

    private void OnItemsApplied(IReadOnlyList<StoredItem> items)
    {
        try
        {
            lock (_applyLock)
            {
                ServingModel? model = _current;
                if (model is null)
                {
                    return;
                }

                IReadOnlyList<(string ItemId, string Reason)> skipped = model.Apply(items);
                foreach ((string itemId, string reason) in skipped.Take(3))
                {
                    _logger.LogWarning("Ingested item {ItemId} is not served by model {ModelVersion}: {Reason}", itemId, model.Version, reason);
                }

                _metrics.SetCatalogSize(model.CatalogSize);
            }
        }
        catch (Exception exception)
        {
            // Changes arrive from the store's feed too; one bad item must not stop the feed.
            _logger.LogError(exception, "Applying {ItemCount} ingested items to the served model failed", items.Count);
        }
    }

    private void Retire(ServingModel previous)
    {
        _ = Task.Delay(s_retireDelay).ContinueWith(_ => previous.Dispose(), TaskScheduler.Default);
    }

    private async Task PublishTokenTableAsync(ServingModel model)
    {
        if (model.Bundle.ItemTokens is not { } table)
        {
            return;
        }

        int tokensPerItem = table.TokensPerItem;
        int bytesPerToken = table.BytesPerToken;
        byte[] TokensOf(int item)
        {
            byte[] bytes = new byte[tokensPerItem * bytesPerToken];
            for (int token = 0; token < tokensPerItem; token++)
            {
                int code = table[item, token];
                if (bytesPerToken == 1)
                {
                    bytes[token] = (byte)code;
                }
                else
                {
                    bytes[2 * token] = (byte)code;
                    bytes[(2 * token) + 1] = (byte)(code >> 8);
                }
            }

            return bytes;
        }

        try
        {
            await _store.PublishTokenTableAsync(new TokenTablePublication(model.Version, model.Bundle.ItemExternalIds, tokensPerItem, TokensOf), CancellationToken.None);
        }
        catch (Exception exception)
        {
            _logger.LogWarning(exception, "Publishing the token table of model {ModelVersion} failed", model.Version);
        }
    }
}
