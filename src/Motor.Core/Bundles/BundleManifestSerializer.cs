using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Motor.Core.Bundles;

/// <summary>manifest.json as camelCase JSON, sealed with its own SHA-256 (<see cref="BundleManifest.ManifestSha256"/>).</summary>
public static partial class BundleManifestSerializer
{
    private static readonly string ZeroHash = new('0', 64);

    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The sealed UTF-8 bytes of <paramref name="manifest"/> (its <see cref="BundleManifest.ManifestSha256"/> is recomputed).</summary>
    public static byte[] Serialize(BundleManifest manifest)
    {
        byte[] unsealed = JsonSerializer.SerializeToUtf8Bytes(manifest with { ManifestSha256 = ZeroHash }, Options);
        string hash = Convert.ToHexStringLower(SHA256.HashData(unsealed));
        return JsonSerializer.SerializeToUtf8Bytes(manifest with { ManifestSha256 = hash }, Options);
    }

    /// <summary>Parses and checks the format version and the seal. <paramref name="sourceName"/> names the file in errors.</summary>
    /// <exception cref="BundleException">Invalid JSON, unsupported format version, missing or mismatching seal, missing fields.</exception>
    public static BundleManifest Deserialize(byte[] bytes, string sourceName)
    {
        // The version is checked before anything else so that a bundle of another format version says so, rather than
        // failing on a field this reader does not know.
        int formatVersion;
        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("formatVersion", out JsonElement versionElement)
                || !versionElement.TryGetInt32(out formatVersion))
            {
                throw new BundleException(sourceName, "no integer 'formatVersion' field");
            }
        }
        catch (JsonException exception)
        {
            throw new BundleException(sourceName, $"invalid JSON: {exception.Message}", exception);
        }

        if (formatVersion != BundleManifest.CurrentFormatVersion)
        {
            throw new BundleException(sourceName, $"format version {formatVersion} is not supported (this reader reads version {BundleManifest.CurrentFormatVersion})");
        }

        // Latin-1 maps each byte to one char, so match positions are byte positions even in damaged (non-UTF-8) files.
        string text = Encoding.Latin1.GetString(bytes);
        Match match = SealPattern().Match(text);
        if (!match.Success)
        {
            throw new BundleException(sourceName, "no 'manifestSha256' field with 64 lowercase hex digits");
        }

        Group digits = match.Groups["hash"];
        byte[] unsealed = (byte[])bytes.Clone();
        Encoding.Latin1.GetBytes(ZeroHash, unsealed.AsSpan(digits.Index, 64));
        string actual = Convert.ToHexStringLower(SHA256.HashData(unsealed));
        if (actual != digits.Value)
        {
            throw new BundleException(sourceName, $"SHA-256 mismatch (manifestSha256 {Abbreviate(digits.Value)}, content {Abbreviate(actual)}): the manifest was changed or damaged");
        }

        try
        {
            return JsonSerializer.Deserialize<BundleManifest>(bytes, Options)
                ?? throw new BundleException(sourceName, "the manifest is JSON null");
        }
        catch (JsonException exception)
        {
            throw new BundleException(sourceName, $"invalid manifest: {exception.Message}", exception);
        }
    }

    /// <summary>The first 12 hex digits, enough to tell two hashes apart in a one-line message.</summary>
    internal static string Abbreviate(string hash) => hash.Length > 12 ? hash[..12] + "..." : hash;

    [GeneratedRegex("\"manifestSha256\"\\s*:\\s*\"(?<hash>[0-9a-f]{64})\"")]
    private static partial Regex SealPattern();
}
