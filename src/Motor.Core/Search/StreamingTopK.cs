using System.Runtime.CompilerServices;
using System.Numerics;

namespace Motor.Core.Search;

/// <summary>
/// Exact top-k of a stream of (item, score) offered in ascending item order, for one or many queries: a bounded heap
/// per query whose worst entry is the admission threshold. Scores are filtered against the threshold with SIMD
/// compares, so only the rare candidates that would enter the top-k are touched (and only they reach the exclusion
/// predicate). Unlike <see cref="TopKSelector"/> it never needs the whole score vector in memory.
/// </summary>
internal sealed class StreamingTopK
{
    private float[] _scores = [];
    private int[] _items = [];
    private int[] _counts = [];
    private float[] _thresholds = [];
    private int _k;

    /// <summary>Admission threshold per query (minus infinity until the heap is full; plus infinity for padding lanes).</summary>
    public float[] Thresholds => _thresholds;

    /// <summary>Prepares <paramref name="queryCount"/> empty heaps of capacity <paramref name="k"/>; threshold lanes up to <paramref name="laneCount"/> beyond the queries never admit.</summary>
    public void Reset(int queryCount, int k, int laneCount)
    {
        _k = k;
        EnsureCapacity(ref _scores, queryCount * k);
        EnsureCapacity(ref _items, queryCount * k);
        EnsureCapacity(ref _counts, queryCount);
        EnsureCapacity(ref _thresholds, Math.Max(laneCount, queryCount));
        _counts.AsSpan(0, queryCount).Clear();
        _thresholds.AsSpan(0, queryCount).Fill(float.NegativeInfinity);
        _thresholds.AsSpan(queryCount, Math.Max(laneCount, queryCount) - queryCount).Fill(float.PositiveInfinity);
    }

    /// <summary>Offers scores[i] for items firstItem + i of one query (NaN and minus infinity never admitted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe void OfferScores(int query, float* scores, int count, int firstItem, Func<int, bool>? exclude)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int lanes = Vector<float>.Count;
            for (; i + lanes <= count; i += lanes)
            {
                if (Vector.GreaterThanAny(Vector.Load(scores + i), new Vector<float>(_thresholds[query])))
                {
                    for (int lane = 0; lane < lanes; lane++)
                    {
                        OfferCandidate(query, firstItem + i + lane, scores[i + lane], exclude);
                    }
                }
            }
        }

        for (; i < count; i++)
        {
            OfferCandidate(query, firstItem + i, scores[i], exclude);
        }
    }

    /// <summary>
    /// Offers a block of scores laid out as scores[r * width + lane] for items firstItem + r and queries firstQuery + lane
    /// (the output of <see cref="ScoringKernels.ScoreBlock"/>); width is a multiple of the SIMD width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe void OfferBlock(int firstQuery, int width, float* scores, int rowCount, int firstItem, Func<int, int, bool>? exclude)
    {
        int lanes = Vector<float>.Count;
        fixed (float* thresholds = _thresholds)
        {
            float* blockThresholds = thresholds + firstQuery;
            for (int r = 0; r < rowCount; r++)
            {
                float* row = scores + ((nint)r * width);
                for (int v = 0; v < width; v += lanes)
                {
                    if (!Vector.GreaterThanAny(Vector.Load(row + v), Vector.Load(blockThresholds + v)))
                    {
                        continue;
                    }

                    for (int lane = 0; lane < lanes; lane++)
                    {
                        int query = firstQuery + v + lane;
                        int item = firstItem + r;
                        float score = row[v + lane];
                        if (score > thresholds[query] && (exclude is null || !exclude(query, item)))
                        {
                            Admit(query, item, score);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Writes query <paramref name="query"/>'s entries to <paramref name="destination"/> in rank order; returns how many.</summary>
    public int Drain(int query, Span<ScoredItem> destination)
    {
        int offset = query * _k;
        Span<float> scores = _scores.AsSpan(offset, _k);
        Span<int> items = _items.AsSpan(offset, _k);
        int count = _counts[query];

        // Heap sort: the root is the worst entry, so it goes to the last free slot.
        for (int size = count; size > 0; size--)
        {
            destination[size - 1] = new ScoredItem(items[0], scores[0]);
            SiftDown(scores, items, size - 1, scores[size - 1], items[size - 1]);
        }

        _counts[query] = 0;
        return count;
    }

    private void OfferCandidate(int query, int item, float score, Func<int, bool>? exclude)
    {
        if (score > _thresholds[query] && (exclude is null || !exclude(item)))
        {
            Admit(query, item, score);
        }
    }

    /// <summary>Inserts an entry known to beat the threshold (items arrive in ascending order, so equal scores never displace).</summary>
    private void Admit(int query, int item, float score)
    {
        int offset = query * _k;
        Span<float> scores = _scores.AsSpan(offset, _k);
        Span<int> items = _items.AsSpan(offset, _k);
        int count = _counts[query];
        if (count < _k)
        {
            int i = count;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (!IsWorse(score, item, scores[parent], items[parent]))
                {
                    break;
                }

                scores[i] = scores[parent];
                items[i] = items[parent];
                i = parent;
            }

            scores[i] = score;
            items[i] = item;
            _counts[query] = ++count;
            if (count == _k)
            {
                _thresholds[query] = scores[0];
            }
        }
        else
        {
            SiftDown(scores, items, _k, score, item);
            _thresholds[query] = scores[0];
        }
    }

    /// <summary>Places (score, item) at the root of a heap of <paramref name="size"/> entries and restores the heap order.</summary>
    private static void SiftDown(Span<float> scores, Span<int> items, int size, float score, int item)
    {
        int i = 0;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= size)
            {
                break;
            }

            if (child + 1 < size && IsWorse(scores[child + 1], items[child + 1], scores[child], items[child]))
            {
                child++;
            }

            if (!IsWorse(scores[child], items[child], score, item))
            {
                break;
            }

            scores[i] = scores[child];
            items[i] = items[child];
            i = child;
        }

        if (size > 0)
        {
            scores[i] = score;
            items[i] = item;
        }
    }

    /// <summary>Rank order: higher score first, ties to the lower item index.</summary>
    private static bool IsWorse(float score, int item, float otherScore, int otherItem) =>
        score < otherScore || (score == otherScore && item > otherItem);

    private static void EnsureCapacity<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            array = new T[Math.Max(length, array.Length * 2)];
        }
    }
}
