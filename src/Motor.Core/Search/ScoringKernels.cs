using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Motor.Core.Search;

/// <summary>
/// Dot-product kernels over padded float32 rows (row length a multiple of 16). AVX-512 when the hardware has it,
/// otherwise <see cref="Vector{T}"/> (AVX2, NEON, ...). The kernels are AggressiveOptimization: they are the hot path, and
/// tier-0 SIMD code (what runs for the first ~100 ms of a process otherwise) is many times slower.
/// </summary>
internal static unsafe class ScoringKernels
{
    /// <summary>Queries scored together by <see cref="ScoreBlock"/>: four SIMD registers of queries.</summary>
    public static int BlockWidth { get; } = 4 * (Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector<float>.Count);

    /// <summary>scores[r] = dot(rows[r], query) for one query; every row is read exactly once.</summary>
    public static void ScoreRows(float* rows, int rowCount, int paddedDimension, float* query, float* scores)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            ScoreRows512(rows, rowCount, paddedDimension, query, scores);
        }
        else
        {
            ScoreRowsPortable(rows, rowCount, paddedDimension, query, scores);
        }
    }

    /// <summary>
    /// scores[r * scoreStride + q] = dot(rows[r], query q) for a block of <see cref="BlockWidth"/> queries stored transposed
    /// (<paramref name="queriesTransposed"/>[j * BlockWidth + q] = query q's element j), rows <paramref name="dimension"/>
    /// values apart. Each row element is broadcast against a whole register of queries, so no horizontal sums are needed
    /// and every row is loaded once per block; each score sums over the dimensions in order 0..dimension-1. The one
    /// batched dot-product kernel: the search batch (item rows x query block) and the evaluator's
    /// <see cref="Evaluation.DotProductScoreProvider"/> (user rows x item panel) both run on it.
    /// </summary>
    public static void ScoreBlock(float* rows, int rowCount, int dimension, float* queriesTransposed, float* scores, int scoreStride)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            ScoreBlock512(rows, rowCount, dimension, queriesTransposed, scores, scoreStride);
        }
        else
        {
            ScoreBlockPortable(rows, rowCount, dimension, queriesTransposed, scores, scoreStride);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreRows512(float* rows, int rowCount, int dimension, float* query, float* scores)
    {
        int r = 0;

        // Eight rows at a time: eight independent FMA chains hide the FMA latency and the loads stream sequentially.
        for (; r + 8 <= rowCount; r += 8)
        {
            float* p = rows + ((nint)r * dimension);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
            for (int j = 0; j < dimension; j += 16)
            {
                Vector512<float> q = Vector512.Load(query + j);
                float* column = p + j;
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(column), q, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(column + dimension), q, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(column + (2 * dimension)), q, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(column + (3 * dimension)), q, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Load(column + (4 * dimension)), q, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Load(column + (5 * dimension)), q, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Load(column + (6 * dimension)), q, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Load(column + (7 * dimension)), q, a7);
            }

            SumEach(a0, a1, a2, a3).Store(scores + r);
            SumEach(a4, a5, a6, a7).Store(scores + r + 4);
        }

        for (; r < rowCount; r++)
        {
            float* p = rows + ((nint)r * dimension);
            Vector512<float> a = default;
            for (int j = 0; j < dimension; j += 16)
            {
                a = Vector512.FusedMultiplyAdd(Vector512.Load(p + j), Vector512.Load(query + j), a);
            }

            scores[r] = Vector512.Sum(a);
        }
    }

    /// <summary>Whether <see cref="ScoreRowsInt8"/> can run (it widens int8 with AVX-512; elsewhere rows are decoded first).</summary>
    public static bool CanScoreInt8Directly { get; } = Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// scores[r] = scales[r] * dot(rows[r], query) for int8 rows, widening each 16 bytes straight into an FMA: a quarter
    /// of float32's memory traffic and no decoded copy. Requires <see cref="CanScoreInt8Directly"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScoreRowsInt8(sbyte* rows, float* scales, int rowCount, int dimension, float* query, float* scores)
    {
        if (!CanScoreInt8Directly)
        {
            throw new PlatformNotSupportedException("Direct int8 scoring needs AVX-512.");
        }

        int r = 0;
        for (; r + 8 <= rowCount; r += 8)
        {
            sbyte* p = rows + ((nint)r * dimension);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
            for (int j = 0; j < dimension; j += 16)
            {
                Vector512<float> q = Vector512.Load(query + j);
                sbyte* column = p + j;
                a0 = Vector512.FusedMultiplyAdd(Widen(column), q, a0);
                a1 = Vector512.FusedMultiplyAdd(Widen(column + dimension), q, a1);
                a2 = Vector512.FusedMultiplyAdd(Widen(column + (2 * dimension)), q, a2);
                a3 = Vector512.FusedMultiplyAdd(Widen(column + (3 * dimension)), q, a3);
                a4 = Vector512.FusedMultiplyAdd(Widen(column + (4 * dimension)), q, a4);
                a5 = Vector512.FusedMultiplyAdd(Widen(column + (5 * dimension)), q, a5);
                a6 = Vector512.FusedMultiplyAdd(Widen(column + (6 * dimension)), q, a6);
                a7 = Vector512.FusedMultiplyAdd(Widen(column + (7 * dimension)), q, a7);
            }

            (SumEach(a0, a1, a2, a3) * Vector128.Load(scales + r)).Store(scores + r);
            (SumEach(a4, a5, a6, a7) * Vector128.Load(scales + r + 4)).Store(scores + r + 4);
        }

        for (; r < rowCount; r++)
        {
            sbyte* p = rows + ((nint)r * dimension);
            Vector512<float> a = default;
            for (int j = 0; j < dimension; j += 16)
            {
                a = Vector512.FusedMultiplyAdd(Widen(p + j), Vector512.Load(query + j), a);
            }

            scores[r] = Vector512.Sum(a) * scales[r];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<float> Widen(sbyte* values) => Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(values)));
    }

    /// <summary>The horizontal sums of four accumulators as one vector (tree of adds, then a transposing add).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> SumEach(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        Vector256<float> a2 = a.GetLower() + a.GetUpper();
        Vector256<float> b2 = b.GetLower() + b.GetUpper();
        Vector256<float> c2 = c.GetLower() + c.GetUpper();
        Vector256<float> d2 = d.GetLower() + d.GetUpper();
        Vector128<float> a4 = a2.GetLower() + a2.GetUpper();
        Vector128<float> b4 = b2.GetLower() + b2.GetUpper();
        Vector128<float> c4 = c2.GetLower() + c2.GetUpper();
        Vector128<float> d4 = d2.GetLower() + d2.GetUpper();
        if (Sse3.IsSupported)
        {
            return Sse3.HorizontalAdd(Sse3.HorizontalAdd(a4, b4), Sse3.HorizontalAdd(c4, d4));
        }

        return Vector128.Create(Vector128.Sum(a4), Vector128.Sum(b4), Vector128.Sum(c4), Vector128.Sum(d4));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreRowsPortable(float* rows, int rowCount, int dimension, float* query, float* scores)
    {
        int width = Vector<float>.Count;
        int r = 0;
        for (; r + 4 <= rowCount; r += 4)
        {
            float* p = rows + ((nint)r * dimension);
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int j = 0; j < dimension; j += width)
            {
                Vector<float> q = Vector.Load(query + j);
                float* column = p + j;
                a0 = Vector.FusedMultiplyAdd(Vector.Load(column), q, a0);
                a1 = Vector.FusedMultiplyAdd(Vector.Load(column + dimension), q, a1);
                a2 = Vector.FusedMultiplyAdd(Vector.Load(column + (2 * dimension)), q, a2);
                a3 = Vector.FusedMultiplyAdd(Vector.Load(column + (3 * dimension)), q, a3);
            }

            scores[r] = Vector.Sum(a0);
            scores[r + 1] = Vector.Sum(a1);
            scores[r + 2] = Vector.Sum(a2);
            scores[r + 3] = Vector.Sum(a3);
        }

        for (; r < rowCount; r++)
        {
            float* p = rows + ((nint)r * dimension);
            Vector<float> a = default;
            for (int j = 0; j < dimension; j += width)
            {
                a = Vector.FusedMultiplyAdd(Vector.Load(p + j), Vector.Load(query + j), a);
            }

            scores[r] = Vector.Sum(a);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreBlock512(float* rows, int rowCount, int dimension, float* queriesTransposed, float* scores, int scoreStride)
    {
        const int Width = 64;
        int r = 0;

        // 4 rows x 64 queries: 16 accumulators; per element 4 query loads + 4 broadcasts feed 16 FMAs.
        for (; r + 4 <= rowCount; r += 4)
        {
            float* p0 = rows + ((nint)r * dimension);
            float* p1 = p0 + dimension;
            float* p2 = p1 + dimension;
            float* p3 = p2 + dimension;
            Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
            Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
            Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
            Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
            float* q = queriesTransposed;
            for (int j = 0; j < dimension; j++, q += Width)
            {
                Vector512<float> q0 = Vector512.Load(q);
                Vector512<float> q1 = Vector512.Load(q + 16);
                Vector512<float> q2 = Vector512.Load(q + 32);
                Vector512<float> q3 = Vector512.Load(q + 48);
                Vector512<float> b = Vector512.Create(p0[j]);
                s00 = Vector512.FusedMultiplyAdd(q0, b, s00);
                s01 = Vector512.FusedMultiplyAdd(q1, b, s01);
                s02 = Vector512.FusedMultiplyAdd(q2, b, s02);
                s03 = Vector512.FusedMultiplyAdd(q3, b, s03);
                b = Vector512.Create(p1[j]);
                s10 = Vector512.FusedMultiplyAdd(q0, b, s10);
                s11 = Vector512.FusedMultiplyAdd(q1, b, s11);
                s12 = Vector512.FusedMultiplyAdd(q2, b, s12);
                s13 = Vector512.FusedMultiplyAdd(q3, b, s13);
                b = Vector512.Create(p2[j]);
                s20 = Vector512.FusedMultiplyAdd(q0, b, s20);
                s21 = Vector512.FusedMultiplyAdd(q1, b, s21);
                s22 = Vector512.FusedMultiplyAdd(q2, b, s22);
                s23 = Vector512.FusedMultiplyAdd(q3, b, s23);
                b = Vector512.Create(p3[j]);
                s30 = Vector512.FusedMultiplyAdd(q0, b, s30);
                s31 = Vector512.FusedMultiplyAdd(q1, b, s31);
                s32 = Vector512.FusedMultiplyAdd(q2, b, s32);
                s33 = Vector512.FusedMultiplyAdd(q3, b, s33);
            }

            float* o = scores + ((nint)r * scoreStride);
            s00.Store(o); s01.Store(o + 16); s02.Store(o + 32); s03.Store(o + 48);
            o += scoreStride;
            s10.Store(o); s11.Store(o + 16); s12.Store(o + 32); s13.Store(o + 48);
            o += scoreStride;
            s20.Store(o); s21.Store(o + 16); s22.Store(o + 32); s23.Store(o + 48);
            o += scoreStride;
            s30.Store(o); s31.Store(o + 16); s32.Store(o + 32); s33.Store(o + 48);
        }

        for (; r < rowCount; r++)
        {
            float* p = rows + ((nint)r * dimension);
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* q = queriesTransposed;
            for (int j = 0; j < dimension; j++, q += Width)
            {
                Vector512<float> b = Vector512.Create(p[j]);
                s0 = Vector512.FusedMultiplyAdd(Vector512.Load(q), b, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Load(q + 16), b, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Load(q + 32), b, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Load(q + 48), b, s3);
            }

            float* o = scores + ((nint)r * scoreStride);
            s0.Store(o); s1.Store(o + 16); s2.Store(o + 32); s3.Store(o + 48);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreBlockPortable(float* rows, int rowCount, int dimension, float* queriesTransposed, float* scores, int scoreStride)
    {
        int lanes = Vector<float>.Count;
        int width = 4 * lanes;
        for (int r = 0; r < rowCount; r++)
        {
            float* p = rows + ((nint)r * dimension);
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* q = queriesTransposed;
            for (int j = 0; j < dimension; j++, q += width)
            {
                var b = new Vector<float>(p[j]);
                s0 = Vector.FusedMultiplyAdd(Vector.Load(q), b, s0);
                s1 = Vector.FusedMultiplyAdd(Vector.Load(q + lanes), b, s1);
                s2 = Vector.FusedMultiplyAdd(Vector.Load(q + (2 * lanes)), b, s2);
                s3 = Vector.FusedMultiplyAdd(Vector.Load(q + (3 * lanes)), b, s3);
            }

            float* o = scores + ((nint)r * scoreStride);
            s0.Store(o);
            s1.Store(o + lanes);
            s2.Store(o + (2 * lanes));
            s3.Store(o + (3 * lanes));
        }
    }
}
