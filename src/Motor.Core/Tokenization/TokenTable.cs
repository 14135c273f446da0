namespace Motor.Core.Tokenization;

/// <summary>
/// Every item's token IDs: ItemCount x TokensPerItem codes, modality-major (modality 0's M codes, then modality 1's, ...).
/// Stored one byte per token when K &lt;= 256, else two bytes.
/// </summary>
public sealed class TokenTable
{
    public TokenTable(int itemCount, int tokensPerItem, int centroidCount) => throw new NotImplementedException();

    public int ItemCount { get; }

    public int TokensPerItem { get; }

    public int CentroidCount { get; }

    /// <summary>Bytes per token in storage: 1 when K &lt;= 256, else 2.</summary>
    public int BytesPerToken => CentroidCount <= 256 ? 1 : 2;

    public int this[int item, int token]
    {
        get => throw new NotImplementedException();
        set => throw new NotImplementedException();
    }

    /// <summary>Copies one item's codes (TokensPerItem values) into <paramref name="destination"/>.</summary>
    public void CopyItem(int item, Span<long> destination) => throw new NotImplementedException();

    /// <summary>Writes the raw table (little-endian header: items, tokens per item, K; then the codes).</summary>
    public void Write(Stream stream) => throw new NotImplementedException();

    public static TokenTable Read(Stream stream, string sourceName) => throw new NotImplementedException();
}
