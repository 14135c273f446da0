using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Motor.Core.Search;

/// <summary>
/// Exact top-k of a stream of (item, score) offered in ascending item order, for one or many queries: a sorted array of
/// at most k entries per query whose worst entry is the admission threshold. Scores are filtered against the threshold
/// with SIMD compares, so only the rare candidates that would enter the top-k are touched (and only they reach the
/// exclusion predicate). Unlike <see cref="TopKSelector"/> it never needs the whole score vector in memory.
/// </summary>
/// <remarks>
/// Entries are single 64-bit keys (order-preserving score bits above the complemented item index), so the rank order
/// "higher score first, ties to the lower item" is one unsigned compare. At small catalogs the admissions (about
/// k (1 + ln(n / k)) per query, 137 at 6,710 items and k = 20) cost as much as the scoring itself; measured per user in
/// a batch of 256 at 6,710 x 64 (kernel alone 3.8 µs): binary heap of these keys 10.9 µs, sorted keys with a
/// scalar insertion 7.2 µs, with the branch-free AVX-512 merge below 5.8 µs (a heap sift is a chain of dependent,
/// mispredicted loads; the merge is a few independent vector min/max).
/// </remarks>
internal sealed unsafe class StreamingTopK
{
    /// <summary>Up to this k an insertion scans and shifts in one pass; above it, binary search and a block move.</summary>
    private const int LinearInsertLimit = 32;

    /// <summary>Up to this k (eight 512-bit vectors) an insertion into a full array is a branch-free min/max merge.</summary>
    private const int SimdInsertLimit = 64;

    private ulong[] _keys = [];
    private int[] _counts = [];
    private float[] _thresholds = [];
    private int _k;

    /// <summary>
    /// Keys per query: k rounded up to whole 512-bit vectors plus one more vector; the slots past the entries hold
    /// <see cref="ulong.MaxValue"/> sentinels, which the merge's shifted loads read.
    /// </summary>
    private int _stride;

    /// <summary>Admission threshold per query (minus infinity until k entries are held; plus infinity for padding lanes).</summary>
    public float[] Thresholds => _thresholds;

    /// <summary>Prepares <paramref name="queryCount"/> empty heaps of capacity <paramref name="k"/>; threshold lanes up to <paramref name="laneCount"/> beyond the queries never admit.</summary>
    public void Reset(int queryCount, int k, int laneCount)
    {
        _k = k;
        _stride = ((k + 7) & ~7) + 8;
        EnsureCapacity(ref _keys, queryCount * _stride);
        _keys.AsSpan(0, queryCount * _stride).Fill(ulong.MaxValue);
        EnsureCapacity(ref _counts, queryCount);
        EnsureCapacity(ref _thresholds, Math.Max(laneCount, queryCount));
        _counts.AsSpan(0, queryCount).Clear();
        _thresholds.AsSpan(0, queryCount).Fill(float.NegativeInfinity);
        _thresholds.AsSpan(queryCount, Math.Max(laneCount, queryCount) - queryCount).Fill(float.PositiveInfinity);
    }

    /// <summary>Offers scores[i] for items firstItem + i of one query (NaN and minus infinity never admitted).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OfferScores(int query, float* scores, int count, int firstItem, Func<int, bool>? exclude)
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
    public void OfferBlock(int firstQuery, int width, float* scores, int rowCount, int firstItem, Func<int, int, bool>? exclude)
    {
        fixed (float* thresholds = _thresholds)
        {
            float* blockThresholds = thresholds + firstQuery;
            for (int r = 0; r < rowCount; r++)
            {
                float* row = scores + ((nint)r * width);
                for (int v = 0; v < width; v += 16)
                {
                    // One mask per 16 queries; only the set bits (candidates) are visited. A query appears once per
                    // row, so its threshold cannot change between the compare and the admission.
                    uint mask = Vector512.IsHardwareAccelerated
                        ? (uint)Vector512.GreaterThan(Vector512.Load(row + v), Vector512.Load(blockThresholds + v)).ExtractMostSignificantBits()
                        : CandidateMask16(row + v, blockThresholds + v);
                    while (mask != 0)
                    {
                        int lane = BitOperations.TrailingZeroCount(mask);
                        mask &= mask - 1;
                        int query = firstQuery + v + lane;
                        int item = firstItem + r;
                        if (exclude is null || !exclude(query, item))
                        {
                            Admit(query, item, row[v + lane]);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Writes query <paramref name="query"/>'s entries to <paramref name="destination"/> in rank order; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Drain(int query, Span<ScoredItem> destination)
    {
        ReadOnlySpan<ulong> keys = _keys.AsSpan(query * _stride, _k);
        int count = _counts[query];
        for (int i = 0; i < count; i++)
        {
            ulong key = keys[count - 1 - i];
            destination[i] = new ScoredItem(ItemOf(key), ScoreOf(key));
        }

        _counts[query] = 0;
        return count;
    }

    /// <summary>Bit i set where scores[i] &gt; thresholds[i], i &lt; 16 (Vector&lt;float&gt; compares; any SIMD width dividing 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint CandidateMask16(float* scores, float* thresholds)
    {
        int lanes = Vector<float>.Count;
        uint mask = 0;
        for (int v = 0; v < 16; v += lanes)
        {
            Vector<int> greater = Vector.GreaterThan(Vector.Load(scores + v), Vector.Load(thresholds + v));
            if (greater != Vector<int>.Zero)
            {
                for (int lane = 0; lane < lanes; lane++)
                {
                    mask |= (uint)(greater[lane] & 1) << (v + lane);
                }
            }
        }

        return mask;
    }

    private void OfferCandidate(int query, int item, float score, Func<int, bool>? exclude)
    {
        if (score > _thresholds[query] && (exclude is null || !exclude(item)))
        {
            Admit(query, item, score);
        }
    }

    /// <summary>Inserts an entry known to beat the threshold (items arrive in ascending order, so equal scores never displace).</summary>
    /// <remarks>AggressiveOptimization: called only from the optimized filters, it otherwise ran as tier-0 code through whole benchmark runs (seen with perf).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Admit(int query, int item, float score)
    {
        Span<ulong> keys = _keys.AsSpan(query * _stride, _stride);
        ulong key = KeyOf(score, item);
        int count = _counts[query];
        if (count < _k)
        {
            // Filling: insert into the sorted prefix.
            int i = count;
            while (i > 0 && keys[i - 1] > key)
            {
                keys[i] = keys[i - 1];
                i--;
            }

            keys[i] = key;
            _counts[query] = ++count;
            if (count == _k)
            {
                _thresholds[query] = ScoreOf(keys[0]);
            }

            return;
        }

        // Full: the worst entry keys[0] leaves; the entries below the new key move down one slot.
        if (Vector512.IsHardwareAccelerated && _k <= SimdInsertLimit)
        {
            // Branch free: new[i] = min(keys[i + 1], max(keys[i], key)) (sorted keys; the sentinels past k stay maximal).
            // Each store covers only slots that later iterations no longer read.
            fixed (ulong* start = keys)
            {
                var broadcast = Vector512.Create(key);
                for (int v = 0; v < _k; v += 8)
                {
                    Vector512.Min(Vector512.Load(start + v + 1), Vector512.Max(Vector512.Load(start + v), broadcast)).Store(start + v);
                }
            }

            _thresholds[query] = ScoreOf(keys[0]);
            return;
        }

        int position;
        if (_k <= LinearInsertLimit)
        {
            position = 1;
            while (position < _k && keys[position] < key)
            {
                keys[position - 1] = keys[position];
                position++;
            }

            position--;
        }
        else
        {
            // Keys are distinct (one per item), so the search returns the complement of the insertion point.
            position = ~keys[1.._k].BinarySearch(key);
            keys.Slice(1, position).CopyTo(keys);
        }

        keys[position] = key;
        _thresholds[query] = ScoreOf(keys[0]);
    }

    /// <summary>
    /// A key whose unsigned order is the rank order: the score's bits made monotonic (negative scores flipped, minus zero
    /// folded into zero so that it ties as float compares do) above the complemented item, so that equal scores rank
    /// the lower item higher.
    /// </summary>
    private static ulong KeyOf(float score, int item)
    {
        uint bits = BitConverter.SingleToUInt32Bits(score);
        bits = bits == 0x8000_0000u ? 0 : bits;
        uint ordered = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)ordered << 32) | ~(uint)item;
    }

    private static float ScoreOf(ulong key)
    {
        uint ordered = (uint)(key >> 32);
        return BitConverter.UInt32BitsToSingle((ordered & 0x8000_0000u) != 0 ? ordered & 0x7FFF_FFFFu : ~ordered);
    }

    private static int ItemOf(ulong key) => (int)~(uint)key;

    private static void EnsureCapacity<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            array = new T[Math.Max(length, array.Length * 2)];
        }
    }
}
