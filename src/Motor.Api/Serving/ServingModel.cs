using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Cryptography;
using Motor.Api.Storage;
using Motor.Core.Bundles;
using Motor.Core.Search;
using Motor.Inference.Encoding;

namespace Motor.Api.Serving;

/// <summary>How a user's recommendations were made (returned to callers).</summary>
public enum RecommendationStrategy
{
    /// <summary>The user is in the model: the trained user vector.</summary>
    Model,

    /// <summary>Unknown to the model, with recorded interactions: the mean of those items' vectors (ID-free user cold start).</summary>
    Interactions,

    /// <summary>Unknown to the model and no usable interactions: the most popular training items.</summary>
    Popular,
}

/// <summary>An item of the served catalog: trained (row of the bundle) or ingested.</summary>
public sealed record CatalogItem(string ItemId, bool Ingested, IReadOnlyDictionary<string, int[]>? Tokens, string? ContentHash, DateTimeOffset? IngestedAt);

/// <summary>
/// One loaded bundle and everything derived from it for serving: ID maps, the vector index (trained items, then
/// ingested items appended), the cold-start encoder and the popularity order. Reads are lock-free; <see cref="Apply"/>
/// (ingested items) has a single writer, the <see cref="ModelHost"/>.
/// </summary>
public sealed class ServingModel : IDisposable
{
    private readonly FrozenDictionary<string, int> _users;
    private readonly FrozenDictionary<string, int> _trainedItems;
    private readonly ConcurrentDictionary<string, int> _ingestedItems = new(StringComparer.Ordinal);
    private readonly ItemEncoderSession? _session;
    private readonly ColdStartItemEncoder? _encoder;
    private readonly int[] _popularItems;
    private readonly int[] _popularity;

    // Ingested items from index TrainedItemCount on; grown by copy, published before the index row (readers never see a row without its entry).
    private IngestedEntry[] _ingested = new IngestedEntry[64];
    private int _ingestedCount;

    public ServingModel(ModelBundle bundle, IVectorIndex index, ItemEncoderSession? session, string manifestSha256)
    {
        Bundle = bundle;
        Index = index;
        ManifestSha256 = manifestSha256;
        _session = session;
        _encoder = session is null ? null : new ColdStartItemEncoder(bundle, session);
        _users = bundle.UserExternalIds.Select((id, index) => KeyValuePair.Create(id, index)).ToFrozenDictionary(StringComparer.Ordinal);
        _trainedItems = bundle.ItemExternalIds.Select((id, index) => KeyValuePair.Create(id, index)).ToFrozenDictionary(StringComparer.Ordinal);

        _popularity = new int[bundle.ItemCount];
        foreach (int item in bundle.TrainingItemsByUser.Columns)
        {
            _popularity[item]++;
        }

        // Descending popularity, ties to the lower index (stable, like the top-k rule).
        _popularItems = Enumerable.Range(0, bundle.ItemCount).OrderByDescending(item => _popularity[item]).ThenBy(item => item).ToArray();
    }

    /// <summary>The bundle without its item vectors (<c>ItemVectors</c> is empty): those live in <see cref="Index"/>.</summary>
    public ModelBundle Bundle { get; }

    public BundleManifest Manifest => Bundle.Manifest;

    public string Version => Bundle.Manifest.Version;

    /// <summary>Hash of manifest.json as loaded (what the bundle watcher compares).</summary>
    public string ManifestSha256 { get; }

    public IVectorIndex Index { get; }

    public int VectorSize => Bundle.VectorSize;

    public int TrainedItemCount => Bundle.ItemCount;

    public int IngestedItemCount => Volatile.Read(ref _ingestedCount);

    public int CatalogSize => TrainedItemCount + IngestedItemCount;

    public bool CanIngest => _encoder is not null;

    public string? ExecutionProvider => _session?.ExecutionProvider;

    public DateTimeOffset LoadedAt { get; } = DateTimeOffset.UtcNow;

    public static string HashManifest(string bundleDirectory)
        => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(bundleDirectory, BundleFileNames.Manifest))));

    public bool TryGetUser(string userId, out int user) => _users.TryGetValue(userId, out user);

    public bool TryGetItem(string itemId, out int item)
        => _trainedItems.TryGetValue(itemId, out item) || _ingestedItems.TryGetValue(itemId, out item);

    public bool IsTrainedItem(string itemId) => _trainedItems.ContainsKey(itemId);

    public string ItemIdOf(int item)
        => item < TrainedItemCount ? Bundle.ItemExternalIds[item] : Volatile.Read(ref _ingested)[item - TrainedItemCount].Item.ItemId;

    public ReadOnlySpan<float> UserVector(int user) => Bundle.UserVectors.AsSpan(user * VectorSize, VectorSize);

    /// <summary>The item's served vector, read from the index (the only copy; dequantized under float16/int8 storage).</summary>
    public float[] ItemVector(int item)
    {
        float[] vector = new float[VectorSize];
        Index.CopyVector(item, vector);
        return vector;
    }

    /// <summary>Training interactions of the item (its popularity); 0 for ingested items.</summary>
    public int PopularityOf(int item) => item < TrainedItemCount ? _popularity[item] : 0;

    /// <summary>Catalog item indexes by descending training popularity.</summary>
    public ReadOnlySpan<int> PopularItems => _popularItems;

    public ReadOnlySpan<int> TrainingItemsOf(int user) => Bundle.TrainingItemsByUser.Row(user);

    public CatalogItem DescribeItem(int item)
    {
        if (item >= TrainedItemCount)
        {
            IngestedEntry entry = Volatile.Read(ref _ingested)[item - TrainedItemCount];
            return new CatalogItem(entry.Item.ItemId, true, entry.Tokens, entry.Item.ContentHash, entry.Item.IngestedAt);
        }

        Dictionary<string, int[]>? tokens = null;
        if (Bundle.ItemTokens is { } table && Manifest.Quantization is { } quantization)
        {
            tokens = new Dictionary<string, int[]>(StringComparer.Ordinal);
            for (int modality = 0; modality < Manifest.Modalities.Count; modality++)
            {
                int[] codes = new int[quantization.SubspaceCount];
                for (int subspace = 0; subspace < codes.Length; subspace++)
                {
                    codes[subspace] = table[item, (modality * quantization.SubspaceCount) + subspace];
                }

                tokens[Manifest.Modalities[modality].Name] = codes;
            }
        }

        return new CatalogItem(Bundle.ItemExternalIds[item], false, tokens, null, null);
    }

    /// <summary>
    /// Tokens and vectors of new items from raw features (one float array per item and modality, in manifest order).
    /// </summary>
    /// <exception cref="InvalidOperationException">The bundle has no item encoder (ID-based).</exception>
    public EncodedItems Encode(IReadOnlyList<IReadOnlyList<float[]>> itemFeatures)
    {
        ColdStartItemEncoder encoder = _encoder ?? throw new InvalidOperationException($"model {Version} ({Manifest.ItemRepresentation}) has no item encoder");
        int count = itemFeatures.Count;
        var raw = new List<float[]>(Manifest.Modalities.Count);
        for (int modality = 0; modality < Manifest.Modalities.Count; modality++)
        {
            int dimension = Manifest.Modalities[modality].Dimension;
            float[] rows = new float[count * dimension];
            for (int item = 0; item < count; item++)
            {
                itemFeatures[item][modality].CopyTo(rows.AsSpan(item * dimension, dimension));
            }

            raw.Add(rows);
        }

        return encoder.Encode(raw, count);
    }

    /// <summary>Splits one item's modality-major token row into tokens per modality name.</summary>
    public IReadOnlyDictionary<string, int[]> TokensByModality(ReadOnlySpan<long> tokens)
    {
        var result = new Dictionary<string, int[]>(StringComparer.Ordinal);
        int perModality = tokens.Length / Math.Max(1, Manifest.Modalities.Count);
        for (int modality = 0; modality < Manifest.Modalities.Count; modality++)
        {
            int[] codes = new int[perModality];
            for (int index = 0; index < perModality; index++)
            {
                codes[index] = (int)tokens[(modality * perModality) + index];
            }

            result[Manifest.Modalities[modality].Name] = codes;
        }

        return result;
    }

    /// <summary>
    /// Adds or replaces ingested items (single writer: the model host). Items encoded by another model version are
    /// re-encoded from their features; items the bundle trained, or whose features do not fit this bundle, are skipped.
    /// </summary>
    /// <returns>Items that could not be served by this model, with the reason.</returns>
    public IReadOnlyList<(string ItemId, string Reason)> Apply(IReadOnlyCollection<StoredItem> items)
    {
        var skipped = new List<(string, string)>();
        var toEncode = new List<StoredItem>();
        foreach (StoredItem item in items)
        {
            if (_trainedItems.ContainsKey(item.ItemId))
            {
                skipped.Add((item.ItemId, "the bundle has trained this item"));
                continue;
            }

            if (_ingestedItems.TryGetValue(item.ItemId, out int existing) && Volatile.Read(ref _ingested)[existing - TrainedItemCount].Item.ContentHash == item.ContentHash)
            {
                continue;
            }

            if (item.ModelVersion == Version && item.Vector.Length == VectorSize)
            {
                Put(item, item.Tokens, item.Vector);
            }
            else
            {
                toEncode.Add(item);
            }
        }

        if (toEncode.Count > 0)
        {
            Reencode(toEncode, skipped);
        }

        return skipped;
    }

    private void Reencode(List<StoredItem> items, List<(string, string)> skipped)
    {
        if (_encoder is null)
        {
            skipped.AddRange(items.Select(item => (item.ItemId, $"model {Version} has no item encoder ({Manifest.ItemRepresentation})")));
            return;
        }

        var encodable = new List<StoredItem>();
        var features = new List<IReadOnlyList<float[]>>();
        foreach (StoredItem item in items)
        {
            var row = new List<float[]>();
            foreach (BundleModality modality in Manifest.Modalities)
            {
                if (item.Features.TryGetValue(modality.Name, out float[]? values) && values.Length == modality.Dimension)
                {
                    row.Add(values);
                }
            }

            if (row.Count == Manifest.Modalities.Count)
            {
                encodable.Add(item);
                features.Add(row);
            }
            else
            {
                skipped.Add((item.ItemId, $"its features do not match the modalities of model {Version}"));
            }
        }

        const int chunk = 512;
        for (int start = 0; start < encodable.Count; start += chunk)
        {
            int count = Math.Min(chunk, encodable.Count - start);
            EncodedItems encoded = Encode(features.GetRange(start, count));
            for (int index = 0; index < count; index++)
            {
                Put(
                    encodable[start + index],
                    TokensByModality(encoded.Tokens.AsSpan(index * encoded.TokensPerItem, encoded.TokensPerItem)),
                    encoded.Vectors.AsSpan(index * encoded.VectorSize, encoded.VectorSize).ToArray());
            }
        }
    }

    private void Put(StoredItem item, IReadOnlyDictionary<string, int[]> tokens, float[] vector)
    {
        var entry = new IngestedEntry(item, tokens, vector);
        if (_ingestedItems.TryGetValue(item.ItemId, out int existing))
        {
            Volatile.Write(ref _ingested[existing - TrainedItemCount], entry);
            Index.Upsert(existing, vector);
            return;
        }

        int slot = _ingestedCount;
        if (slot == _ingested.Length)
        {
            var grown = new IngestedEntry[_ingested.Length * 2];
            Array.Copy(_ingested, grown, slot);
            Volatile.Write(ref _ingested, grown);
        }

        _ingested[slot] = entry;
        int index = TrainedItemCount + slot;
        Index.Upsert(index, vector);
        _ingestedItems[item.ItemId] = index;
        Volatile.Write(ref _ingestedCount, slot + 1);
    }

    /// <summary>Runs the encoder and one search so that the first request does not pay for initialisation.</summary>
    public void WarmUp()
    {
        _session?.WarmUp();
        Span<ScoredItem> results = stackalloc ScoredItem[10];
        float[] query = new float[VectorSize];
        if (Bundle.UserCount > 0)
        {
            UserVector(0).CopyTo(query);
        }

        Index.Search(query, results.Length, results);
    }

    public void Dispose() => _session?.Dispose();

    private sealed record IngestedEntry(StoredItem Item, IReadOnlyDictionary<string, int[]> Tokens, float[] Vector);
}
