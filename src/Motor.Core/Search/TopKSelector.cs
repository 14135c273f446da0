using System.Numerics;
using System.Runtime.InteropServices;

namespace Motor.Core.Search;

/// <summary>An item index with its score.</summary>
public readonly record struct ScoredItem(int Item, float Score);

/// <summary>Exact top-k selection over a score vector: descending score, ties to the lower item index.</summary>
public static class TopKSelector
{
    /// <summary>
    /// Writes the best min(k, candidates) items to <paramref name="result"/> in rank order; returns how many. Minus infinity
    /// and NaN scores are never returned.
    /// </summary>
    /// <remarks>
    /// A min-heap of the k best so far, its root the worst kept item. Scores are scanned in index order, so a later item
    /// with a score equal to the root's is never better (ties go to the lower index): one comparison rejects almost every
    /// score once the heap is full. O(n + m log k) for n scores of which m enter the heap.
    /// </remarks>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<ScoredItem> result)
    {
        if (k <= 0 || scores.IsEmpty)
        {
            return 0;
        }

        if (result.Length < Math.Min(k, scores.Length))
        {
            throw new ArgumentException($"the result span holds {result.Length} items, k = {k} needs {Math.Min(k, scores.Length)}", nameof(result));
        }

        k = Math.Min(k, scores.Length);
        Span<ScoredItem> heap = result[..k];
        int count = 0;
        int index = 0;

        // Fill the heap with the first k selectable scores.
        for (; index < scores.Length && count < k; index++)
        {
            float score = scores[index];
            if (score > float.NegativeInfinity)
            {
                heap[count] = new ScoredItem(index, score);
                SiftUp(heap, count);
                count++;
            }
        }

        if (count == k)
        {
            // SIMD pre-check: a whole vector of scores not above the threshold is skipped with one comparison.
            float threshold = heap[0].Score;
            int width = Vector<float>.Count;
            ref float first = ref MemoryMarshal.GetReference(scores);
            Vector<float> limit = new(threshold);
            for (; index <= scores.Length - width; index += width)
            {
                if (Vector.GreaterThanAny(Vector.LoadUnsafe(ref first, (nuint)index), limit))
                {
                    for (int j = index; j < index + width; j++)
                    {
                        float score = scores[j];
                        if (score > threshold)
                        {
                            heap[0] = new ScoredItem(j, score);
                            SiftDown(heap, 0, k);
                            threshold = heap[0].Score;
                        }
                    }

                    limit = new Vector<float>(threshold);
                }
            }

            for (; index < scores.Length; index++)
            {
                float score = scores[index];
                if (score > threshold)
                {
                    heap[0] = new ScoredItem(index, score);
                    SiftDown(heap, 0, k);
                    threshold = heap[0].Score;
                }
            }
        }

        // Heap sort in place: repeatedly move the worst to the end, which leaves the best first.
        for (int end = count - 1; end > 0; end--)
        {
            (heap[0], heap[end]) = (heap[end], heap[0]);
            SiftDown(heap, 0, end);
        }

        return count;
    }

    /// <summary>True when <paramref name="a"/> ranks below <paramref name="b"/>: lower score, or equal score and higher index.</summary>
    private static bool IsWorse(in ScoredItem a, in ScoredItem b)
        => a.Score < b.Score || (a.Score == b.Score && a.Item > b.Item);

    private static void SiftUp(Span<ScoredItem> heap, int position)
    {
        ScoredItem item = heap[position];
        while (position > 0)
        {
            int parent = (position - 1) >> 1;
            if (!IsWorse(item, heap[parent]))
            {
                break;
            }

            heap[position] = heap[parent];
            position = parent;
        }

        heap[position] = item;
    }

    private static void SiftDown(Span<ScoredItem> heap, int position, int count)
    {
        ScoredItem item = heap[position];
        while (true)
        {
            int child = (2 * position) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && IsWorse(heap[child + 1], heap[child]))
            {
                child++;
            }

            if (!IsWorse(heap[child], item))
            {
                break;
            }

            heap[position] = heap[child];
            position = child;
        }

        heap[position] = item;
    }
}
