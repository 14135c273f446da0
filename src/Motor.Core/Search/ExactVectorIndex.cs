using System.Buffers;
using System.Numerics;

namespace Motor.Core.Search;

/// <summary>
/// Exact inner-product search over item vectors held in process: row-major rows (padded to a multiple of 16 values,
/// 64-byte aligned) in chunks of about 1 MB, scored with SIMD and filtered into a streaming top-k so no full score
/// array is materialised. Float32 storage gives exact scores; <see cref="VectorPrecision.Float16"/> and
/// <see cref="VectorPrecision.Int8"/> trade a little accuracy for 2x / 4x less memory traffic (rows are decoded to
/// float32 one L1-sized tile at a time and scored by the same kernels).
/// </summary>
/// <remarks>
/// Concurrency: searches read an immutable published <see cref="Snapshot"/> (chunk table + count) without locks.
/// Writers are serialised; an append writes the row beyond every published count and then publishes a new
/// snapshot, a replacement copies the affected chunk (copy-on-write), so a search never sees a half-written row.
/// Appends cost O(d) amortised (a new chunk every few thousand rows).
/// </remarks>
public sealed unsafe class ExactVectorIndex : IVectorIndex
{
    private const int TargetChunkBytes = 1 << 20;

    /// <summary>Float32 values decoded (or scored) per tile: 16 KB, so a decoded tile stays in L1 next to the rows streaming in (32 KB tiles made float16 search 2x slower).</summary>
    private const int TileValues = 4096;

    /// <summary>Batches this small are cheaper as separate queries than as a padded query block.</summary>
    private const int SmallBatch = 2;

    [ThreadStatic]
    private static SearchScratch? t_scratch;

    private readonly Lock _writeLock = new();
    private readonly int _paddedDimension;
    private readonly int _rowBytes;
    private readonly int _chunkShift;
    private readonly int _tileRows;

    /// <summary>Chunk table owned by the writer; shared with snapshots, which never read slots beyond their count.</summary>
    private VectorChunk[] _chunks = [];
    private volatile Snapshot _snapshot;

    public ExactVectorIndex(int dimension, VectorPrecision precision = VectorPrecision.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        _ = VectorRowCodec.BytesPerValue(precision);
        Dimension = dimension;
        Precision = precision;
        _paddedDimension = (dimension + 15) & ~15;
        _rowBytes = _paddedDimension * VectorRowCodec.BytesPerValue(precision);
        int rowsPerChunk = Math.Clamp((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, TargetChunkBytes / _rowBytes)), 64, 1 << 16);
        _chunkShift = BitOperations.Log2((uint)rowsPerChunk);
        _tileRows = Math.Clamp(TileValues / _paddedDimension, 8, 256) & ~7;
        _snapshot = new Snapshot(_chunks, 0);
    }

    /// <summary>Creates an index holding <paramref name="vectors"/> (count x <paramref name="dimension"/>, row-major) as items 0..count-1.</summary>
    public ExactVectorIndex(int dimension, ReadOnlySpan<float> vectors, VectorPrecision precision = VectorPrecision.Float32)
        : this(dimension, precision)
    {
        AppendRange(vectors);
    }

    public int Count => _snapshot.Count;

    public int Dimension { get; }

    public VectorPrecision Precision { get; }

    /// <summary>Bytes of vector storage per item (padded row; int8 adds its 4-byte scale).</summary>
    public int BytesPerItem => _rowBytes + (Precision == VectorPrecision.Int8 ? sizeof(float) : 0);

    private int RowsPerChunk => 1 << _chunkShift;

    public int Search(ReadOnlySpan<float> query, int k, Span<ScoredItem> results, Func<int, bool>? exclude = null)
    {
        ValidateQueries(query, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        Snapshot snapshot = _snapshot;
        int take = Math.Min(k, snapshot.Count);
        if (results.Length < take)
        {
            throw new ArgumentException($"results holds {results.Length} entries; min(k, Count) = {take} are needed.", nameof(results));
        }

        if (take == 0)
        {
            return 0;
        }

        SearchScratch scratch = RentScratch();
        try
        {
            Span<float> paddedQuery = scratch.Floats(ref scratch.Query, _paddedDimension);
            paddedQuery.Clear();
            query.CopyTo(paddedQuery);
            Span<float> scores = scratch.Floats(ref scratch.Scores, _tileRows);
            Span<float> decoded = Precision == VectorPrecision.Float32 ? default : scratch.Floats(ref scratch.Decoded, _tileRows * _paddedDimension);
            StreamingTopK topK = scratch.TopK;
            topK.Reset(1, take, 1);
            fixed (float* queryPointer = paddedQuery)
            fixed (float* scorePointer = scores)
            fixed (float* decodedPointer = decoded)
            {
                var scorer = new SingleQueryScorer(queryPointer, scorePointer, _paddedDimension, topK, exclude);
                ForEachTile(snapshot, decodedPointer, ref scorer);
            }

            return topK.Drain(0, results);
        }
        finally
        {
            t_scratch = scratch;
        }
    }

    public void SearchBatch(ReadOnlySpan<float> queries, int k, Span<ScoredItem> results, Span<int> counts, Func<int, int, bool>? exclude = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (queries.Length % Dimension != 0)
        {
            throw new ArgumentException($"queries holds {queries.Length} values, not a multiple of the dimension {Dimension}.", nameof(queries));
        }

        int queryCount = queries.Length / Dimension;
        ValidateQueries(queries, queryCount, nameof(queries));
        if (results.Length < (long)queryCount * k)
        {
            throw new ArgumentException($"results holds {results.Length} entries; {queryCount} queries x k={k} are needed.", nameof(results));
        }

        if (counts.Length < queryCount)
        {
            throw new ArgumentException($"counts holds {counts.Length} entries; {queryCount} are needed.", nameof(counts));
        }

        if (queryCount <= SmallBatch)
        {
            for (int q = 0; q < queryCount; q++)
            {
                int query = q;
                Func<int, bool>? excludeOne = exclude is null ? null : item => exclude(query, item);
                counts[q] = Search(queries.Slice(q * Dimension, Dimension), k, results.Slice(q * k, k), excludeOne);
            }

            return;
        }

        Snapshot snapshot = _snapshot;
        int take = Math.Min(k, snapshot.Count);
        int width = ScoringKernels.BlockWidth;
        int blockCount = (queryCount + width - 1) / width;
        int blockValues = _paddedDimension * width;

        // Queries transposed per block (element j of the block's queries contiguous), zero padded.
        float[] transposed = ArrayPool<float>.Shared.Rent((blockCount * blockValues) + 16);
        float[] blockScores = ArrayPool<float>.Shared.Rent((_tileRows * width) + 16);
        float[] decoded = ArrayPool<float>.Shared.Rent(Precision == VectorPrecision.Float32 ? 16 : (_tileRows * _paddedDimension) + 16);
        try
        {
            fixed (float* transposedBase = transposed)
            fixed (float* blockScoresBase = blockScores)
            fixed (float* decodedBase = decoded)
            {
                float* transposedPointer = Align64(transposedBase);
                float* scorePointer = Align64(blockScoresBase);
                float* decodedPointer = Align64(decodedBase);
                new Span<float>(transposedPointer, blockCount * blockValues).Clear();
                for (int q = 0; q < queryCount; q++)
                {
                    float* block = transposedPointer + ((nint)(q / width) * blockValues) + (q % width);
                    ReadOnlySpan<float> vector = queries.Slice(q * Dimension, Dimension);
                    for (int j = 0; j < Dimension; j++)
                    {
                        block[(nint)j * width] = vector[j];
                    }
                }

                var topK = new StreamingTopK();
                if (take > 0)
                {
                    topK.Reset(queryCount, take, blockCount * width);

                    // Tile outer, query blocks inner: each item tile is loaded from memory once and reused by every query.
                    var scorer = new BatchScorer(transposedPointer, blockCount, blockValues, scorePointer, _paddedDimension, topK, exclude);
                    ForEachTile(snapshot, decodedPointer, ref scorer);
                }

                for (int q = 0; q < queryCount; q++)
                {
                    counts[q] = take == 0 ? 0 : topK.Drain(q, results.Slice(q * k, k));
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(transposed);
            ArrayPool<float>.Shared.Return(blockScores);
            ArrayPool<float>.Shared.Return(decoded);
        }
    }

    public void Upsert(int item, ReadOnlySpan<float> vector)
    {
        ValidateVector(vector, nameof(vector));
        lock (_writeLock)
        {
            Snapshot current = _snapshot;
            if ((uint)item > (uint)current.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(item), item, $"Item must be in [0, {current.Count}] (replace or append).");
            }

            if (item == current.Count)
            {
                WriteRow(item, vector);
                _snapshot = new Snapshot(_chunks, item + 1);
                return;
            }

            // Replace: copy the chunk and the chunk table, so searches running on the old snapshot keep reading
            // the old row intact.
            int chunkIndex = item >> _chunkShift;
            int rowsInChunk = Math.Min(RowsPerChunk, current.Count - (chunkIndex << _chunkShift));
            VectorChunk copy = _chunks[chunkIndex].Clone(rowsInChunk);
            EncodeInto(copy, item & (RowsPerChunk - 1), vector);
            VectorChunk[] table = (VectorChunk[])_chunks.Clone();
            table[chunkIndex] = copy;
            _chunks = table;
            _snapshot = new Snapshot(table, current.Count);
        }
    }

    public int AppendRange(ReadOnlySpan<float> vectors)
    {
        if (vectors.Length % Dimension != 0)
        {
            throw new ArgumentException($"vectors holds {vectors.Length} values, not a multiple of the dimension {Dimension}.", nameof(vectors));
        }

        if (vectors.IsEmpty)
        {
            return Count;
        }

        ValidateVector(vectors, nameof(vectors));
        lock (_writeLock)
        {
            int first = _snapshot.Count;
            int count = vectors.Length / Dimension;
            for (int i = 0; i < count; i++)
            {
                WriteRow(first + i, vectors.Slice(i * Dimension, Dimension));
            }

            _snapshot = new Snapshot(_chunks, first + count);
            return first;
        }
    }

    public void CopyVector(int item, Span<float> destination)
    {
        Snapshot snapshot = _snapshot;
        if ((uint)item >= (uint)snapshot.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(item), item, $"Item must be in [0, {snapshot.Count}).");
        }

        if (destination.Length < Dimension)
        {
            throw new ArgumentException($"destination holds {destination.Length} values; {Dimension} are needed.", nameof(destination));
        }

        VectorChunk chunk = snapshot.Chunks[item >> _chunkShift];
        int row = item & (RowsPerChunk - 1);
        Span<float> buffer = _paddedDimension <= 1024 ? stackalloc float[_paddedDimension] : new float[_paddedDimension];
        fixed (float* decoded = buffer)
        fixed (byte* start = &chunk.Start)
        {
            ReadOnlySpan<float> scale = chunk.Scales is null ? default : chunk.Scales.AsSpan(row, 1);
            VectorRowCodec.Decode(start + ((nint)row * _rowBytes), scale, 1, _paddedDimension, Precision, decoded);
        }

        buffer[..Dimension].CopyTo(destination);
    }

    /// <summary>Consumes tiles of float32 rows (a struct, so the per-tile call is direct and allocation free).</summary>
    private interface ITileScorer
    {
        void Score(float* rows, int rowCount, int firstItem);

        /// <summary>Scores a tile straight from its encoded rows when the scorer has a kernel for them; false: decode first.</summary>
        bool TryScoreEncoded(VectorPrecision precision, byte* rows, float* scales, int rowCount, int firstItem);
    }

    /// <summary>
    /// Calls <paramref name="action"/> for consecutive tiles of the snapshot's rows as float32: float32 chunks are passed
    /// in place, other precisions are decoded into <paramref name="decoded"/> (tile rows x padded dimension) first.
    /// </summary>
    private void ForEachTile<TScorer>(Snapshot snapshot, float* decoded, ref TScorer scorer)
        where TScorer : struct, ITileScorer
    {
        int remaining = snapshot.Count;
        for (int c = 0; remaining > 0; c++)
        {
            VectorChunk chunk = snapshot.Chunks[c];
            int rowsInChunk = Math.Min(RowsPerChunk, remaining);
            int firstItem = c << _chunkShift;
            fixed (byte* start = &chunk.Start)
            {
                if (Precision == VectorPrecision.Float32)
                {
                    // Float32 rows are scored in place; tiles only bound the score buffer.
                    for (int r = 0; r < rowsInChunk; r += _tileRows)
                    {
                        scorer.Score((float*)(start + ((nint)r * _rowBytes)), Math.Min(_tileRows, rowsInChunk - r), firstItem + r);
                    }
                }
                else
                {
                    for (int r = 0; r < rowsInChunk; r += _tileRows)
                    {
                        int rows = Math.Min(_tileRows, rowsInChunk - r);
                        ReadOnlySpan<float> scales = chunk.Scales is null ? default : chunk.Scales.AsSpan(r, rows);
                        fixed (float* scalePointer = scales)
                        {
                            if (!scorer.TryScoreEncoded(Precision, start + ((nint)r * _rowBytes), scalePointer, rows, firstItem + r))
                            {
                                VectorRowCodec.Decode(start + ((nint)r * _rowBytes), scales, rows, _paddedDimension, Precision, decoded);
                                scorer.Score(decoded, rows, firstItem + r);
                            }
                        }
                    }
                }
            }

            remaining -= rowsInChunk;
        }
    }

    /// <summary>Writes row <paramref name="item"/> (== the published count) into the tail chunk, adding a chunk when full. Caller holds the write lock.</summary>
    private void WriteRow(int item, ReadOnlySpan<float> vector)
    {
        int chunkIndex = item >> _chunkShift;
        if (chunkIndex == _chunks.Length || _chunks[chunkIndex] is null)
        {
            if (chunkIndex == _chunks.Length)
            {
                // Grow the table by copying: older snapshots keep the old table, which they read only below their count.
                Array.Resize(ref _chunks, Math.Max(4, _chunks.Length * 2));
            }

            _chunks[chunkIndex] = new VectorChunk(RowsPerChunk, _rowBytes, Precision == VectorPrecision.Int8);
        }

        EncodeInto(_chunks[chunkIndex], item & (RowsPerChunk - 1), vector);
    }

    private void EncodeInto(VectorChunk chunk, int row, ReadOnlySpan<float> vector)
    {
        float scale = VectorRowCodec.Encode(vector, Precision, chunk.Row(row));
        if (chunk.Scales is not null)
        {
            chunk.Scales[row] = scale;
        }
    }

    private void ValidateVector(ReadOnlySpan<float> vector, string parameterName)
    {
        if (vector.Length == 0 || vector.Length % Dimension != 0)
        {
            throw new ArgumentException($"Expected {Dimension} values per vector, got {vector.Length}.", parameterName);
        }

        VectorRowCodec.EnsureFinite(vector, parameterName);
    }

    private void ValidateQueries(ReadOnlySpan<float> queries, int queryCount, string parameterName)
    {
        if (queries.Length != queryCount * Dimension)
        {
            throw new ArgumentException($"Expected {Dimension} values per query, got {queries.Length}.", parameterName);
        }

        VectorRowCodec.EnsureFinite(queries, parameterName);
    }

    private static float* Align64(float* pointer) => (float*)(((nint)pointer + 63) & ~(nint)63);

    /// <summary>Takes this thread's scratch (a re-entrant call, e.g. from an exclusion predicate, gets a fresh one).</summary>
    private static SearchScratch RentScratch()
    {
        SearchScratch? scratch = t_scratch;
        t_scratch = null;
        return scratch ?? new SearchScratch();
    }

    /// <summary>One query: a score per row, then the threshold filter.</summary>
    private readonly struct SingleQueryScorer(float* query, float* scores, int paddedDimension, StreamingTopK topK, Func<int, bool>? exclude)
        : ITileScorer
    {
        public void Score(float* rows, int rowCount, int firstItem)
        {
            ScoringKernels.ScoreRows(rows, rowCount, paddedDimension, query, scores);
            topK.OfferScores(0, scores, rowCount, firstItem, exclude);
        }

        public bool TryScoreEncoded(VectorPrecision precision, byte* rows, float* scales, int rowCount, int firstItem)
        {
            if (precision != VectorPrecision.Int8 || !ScoringKernels.CanScoreInt8Directly)
            {
                return false;
            }

            ScoringKernels.ScoreRowsInt8((sbyte*)rows, scales, rowCount, paddedDimension, query, scores);
            topK.OfferScores(0, scores, rowCount, firstItem, exclude);
            return true;
        }
    }

    /// <summary>Many queries: the tile is reused by every block of transposed queries while it is in cache.</summary>
    private readonly struct BatchScorer(
        float* queriesTransposed, int blockCount, int blockValues, float* scores, int paddedDimension, StreamingTopK topK, Func<int, int, bool>? exclude)
        : ITileScorer
    {
        public void Score(float* rows, int rowCount, int firstItem)
        {
            int width = ScoringKernels.BlockWidth;
            for (int b = 0; b < blockCount; b++)
            {
                ScoringKernels.ScoreBlock(rows, rowCount, paddedDimension, queriesTransposed + ((nint)b * blockValues), scores, width);
                topK.OfferBlock(b * width, width, scores, rowCount, firstItem, exclude);
            }
        }

        /// <summary>Decoding once per tile is already amortised over every query of the batch.</summary>
        public bool TryScoreEncoded(VectorPrecision precision, byte* rows, float* scales, int rowCount, int firstItem) => false;
    }

    /// <summary>A published, immutable view: the first <see cref="Count"/> rows of <see cref="Chunks"/>.</summary>
    private sealed class Snapshot(VectorChunk[] chunks, int count)
    {
        public VectorChunk[] Chunks { get; } = chunks;

        public int Count { get; } = count;
    }

    /// <summary>Per-thread buffers so a single search allocates nothing.</summary>
    private sealed class SearchScratch
    {
        public float[] Query = [];
        public float[] Scores = [];
        public float[] Decoded = [];
        public readonly StreamingTopK TopK = new();

        /// <summary>A 64-byte aligned span of <paramref name="length"/> floats inside <paramref name="buffer"/> (pinned, so the alignment holds).</summary>
        public Span<float> Floats(ref float[] buffer, int length)
        {
            if (buffer.Length < length + 16)
            {
                buffer = GC.AllocateArray<float>(length + 16, pinned: true);
            }

            fixed (float* start = buffer)
            {
                int offset = (int)((Align64(start) - start));
                return buffer.AsSpan(offset, length);
            }
        }
    }
}
