using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Motor.Api.Storage;

/// <summary>
/// An ingested item as the store keeps it: its raw features (so that another model can re-encode it), and the tokens
/// and serving vector computed by the model version that ingested it.
/// </summary>
public sealed record StoredItem
{
    public required string ItemId { get; init; }

    /// <summary>SHA-256 of the raw features: equal hashes = the same ingestion request body (idempotency).</summary>
    public required string ContentHash { get; init; }

    /// <summary>Raw feature vector per modality name.</summary>
    public required IReadOnlyDictionary<string, float[]> Features { get; init; }

    /// <summary>The model version whose codebooks and encoder produced <see cref="Tokens"/> and <see cref="Vector"/>.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>Token IDs per modality name.</summary>
    public required IReadOnlyDictionary<string, int[]> Tokens { get; init; }

    public required float[] Vector { get; init; }

    public required DateTimeOffset IngestedAt { get; init; }

    /// <summary>Hash of raw features, independent of modality order in the request and of JSON formatting.</summary>
    public static string ComputeContentHash(IReadOnlyDictionary<string, float[]> features)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (KeyValuePair<string, float[]> modality in features.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(modality.Key));
            hash.AppendData([0]);
            hash.AppendData(BitConverter.GetBytes(modality.Value.Length));
            hash.AppendData(MemoryMarshal.AsBytes(modality.Value.AsSpan()));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>JSON form of <see cref="StoredItem"/> in Redis and in the embedded log: float arrays as base64 little-endian bytes.</summary>
internal static class StoredItemSerializer
{
    public static string Serialize(StoredItem item) => JsonSerializer.Serialize(ToDocument(item), StoreJsonContext.Default.StoredItemDocument);

    public static byte[] SerializeToUtf8(StoredItem item) => JsonSerializer.SerializeToUtf8Bytes(ToDocument(item), StoreJsonContext.Default.StoredItemDocument);

    public static StoredItem Deserialize(ReadOnlySpan<byte> utf8Json, string source)
    {
        StoredItemDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(utf8Json, StoreJsonContext.Default.StoredItemDocument);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{source}: stored item is not valid JSON ({exception.Message})", exception);
        }

        return FromDocument(document, source);
    }

    public static StoredItem Deserialize(string json, string source) => Deserialize(Encoding.UTF8.GetBytes(json), source);

    internal static StoredItemDocument ToDocument(StoredItem item) => new()
    {
        ItemId = item.ItemId,
        ContentHash = item.ContentHash,
        Features = item.Features.ToDictionary(pair => pair.Key, pair => MemoryMarshal.AsBytes(pair.Value.AsSpan()).ToArray(), StringComparer.Ordinal),
        ModelVersion = item.ModelVersion,
        Tokens = item.Tokens.ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal),
        Vector = MemoryMarshal.AsBytes(item.Vector.AsSpan()).ToArray(),
        IngestedAt = item.IngestedAt,
    };

    internal static StoredItem FromDocument(StoredItemDocument? document, string source)
    {
        if (document?.ItemId is null || document.ContentHash is null || document.Features is null || document.ModelVersion is null || document.Tokens is null || document.Vector is null)
        {
            throw new InvalidDataException($"{source}: stored item lacks one of itemId, contentHash, features, modelVersion, tokens, vector");
        }

        return new StoredItem
        {
            ItemId = document.ItemId,
            ContentHash = document.ContentHash,
            Features = document.Features.ToDictionary(pair => pair.Key, pair => ToFloats(pair.Value, source), StringComparer.Ordinal),
            ModelVersion = document.ModelVersion,
            Tokens = document.Tokens,
            Vector = ToFloats(document.Vector, source),
            IngestedAt = document.IngestedAt,
        };
    }

    private static float[] ToFloats(byte[] bytes, string source)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new InvalidDataException($"{source}: a float array of {bytes.Length} bytes is not a multiple of 4");
        }

        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}

internal sealed class StoredItemDocument
{
    public string? ItemId { get; set; }

    public string? ContentHash { get; set; }

    public Dictionary<string, byte[]>? Features { get; set; }

    public string? ModelVersion { get; set; }

    public Dictionary<string, int[]>? Tokens { get; set; }

    public byte[]? Vector { get; set; }

    public DateTimeOffset IngestedAt { get; set; }
}

/// <summary>One record of the embedded store's append-only file.</summary>
internal sealed class StoreRecordDocument
{
    /// <summary>"item" or "interactions".</summary>
    public string? Kind { get; set; }

    public StoredItemDocument? Item { get; set; }

    public string? UserId { get; set; }

    public string[]? ItemIds { get; set; }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StoredItemDocument))]
[JsonSerializable(typeof(StoreRecordDocument))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
