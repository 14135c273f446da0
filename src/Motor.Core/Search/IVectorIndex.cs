namespace Motor.Core.Search;

/// <summary>
/// Item vectors searchable by inner product. Exact in-process implementation by default; the interface leaves room for a
/// partitioned or approximate index for catalogs beyond a million items.
/// </summary>
/// <remarks>
/// Searches are lock-free and may run on any number of threads while one writer calls <see cref="Upsert"/> or
/// <see cref="AppendRange"/>: a search sees the index as it was when the search started, never a half-written row.
/// </remarks>
public interface IVectorIndex
{
    int Count { get; }

    int Dimension { get; }

    /// <summary>How item vectors are stored (scores of reduced-precision storage are approximate).</summary>
    VectorPrecision Precision { get; }

    /// <summary>
    /// Best <paramref name="k"/> items by dot(query, item), skipping items for which <paramref name="exclude"/> returns
    /// true; returns how many were written to <paramref name="results"/> (rank order, ties to the lower index).
    /// <paramref name="results"/> must hold at least min(k, Count) entries. <paramref name="exclude"/> is only asked about
    /// items that would enter the current top-k, so an expensive predicate costs little.
    /// </summary>
    int Search(ReadOnlySpan<float> query, int k, Span<ScoredItem> results, Func<int, bool>? exclude = null);

    /// <summary>
    /// <see cref="Search"/> for many queries at once (<paramref name="queries"/>: queryCount x Dimension, row-major),
    /// scored as a blocked matrix product so each item vector is read once for the whole batch. Query i's results are
    /// written from <c>results[i * k]</c> on and <c>counts[i]</c> says how many; <paramref name="exclude"/> receives
    /// (query index, item).
    /// </summary>
    void SearchBatch(ReadOnlySpan<float> queries, int k, Span<ScoredItem> results, Span<int> counts, Func<int, int, bool>? exclude = null);

    /// <summary>Adds item <paramref name="item"/> (== Count: append) or replaces an existing row. Safe against concurrent searches.</summary>
    void Upsert(int item, ReadOnlySpan<float> vector);

    /// <summary>
    /// Appends <paramref name="vectors"/> (n x Dimension, row-major) as items Count..Count+n-1, made visible to searches
    /// all at once; returns the first new item index.
    /// </summary>
    int AppendRange(ReadOnlySpan<float> vectors);

    /// <summary>Writes item <paramref name="item"/>'s stored vector (dequantized for reduced precision) to <paramref name="destination"/>.</summary>
    void CopyVector(int item, Span<float> destination);
}
