namespace Motor.Core.Search;

/// <summary>
/// Item vectors searchable by inner product. Exact in-process implementation by default; the interface leaves room for a
/// partitioned or approximate index for catalogs beyond a million items.
/// </summary>
public interface IVectorIndex
{
    int Count { get; }

    int Dimension { get; }

    /// <summary>
    /// Best <paramref name="k"/> items by dot(query, item), skipping items for which <paramref name="exclude"/> returns
    /// true; returns how many were written to <paramref name="results"/> (rank order, ties to the lower index).
    /// </summary>
    int Search(ReadOnlySpan<float> query, int k, Span<ScoredItem> results, Func<int, bool>? exclude = null);

    /// <summary>Adds item <paramref name="item"/> (== Count: append) or replaces an existing row. Safe against concurrent searches.</summary>
    void Upsert(int item, ReadOnlySpan<float> vector);
}
