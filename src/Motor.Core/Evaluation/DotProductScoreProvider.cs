using System.Numerics;

namespace Motor.Core.Evaluation;

/// <summary>Scores users against items by inner product of their vectors (users x d and items x d, row-major).</summary>
/// <remarks>
/// The item matrix is kept transposed (d x padded items) so that the kernel computes 4 users x 2 SIMD vectors of items per
/// step with broadcast-multiply-add and no horizontal sums; items are processed in tiles that stay in cache while the users
/// of a chunk pass over them, and chunks of users run in parallel. Each score sums over the dimensions in order 0..d-1.
/// </remarks>
public sealed class DotProductScoreProvider : IScoreProvider
{
    private const int UsersPerKernel = 4;
    private const int UsersPerChunk = 32;
    private const int ItemsPerTile = 512;

    private static readonly int s_width = Vector<float>.Count;

    private readonly float[] _userVectors;
    private readonly float[] _itemsTransposed;
    private readonly int _paddedItemCount;

    public DotProductScoreProvider(float[] userVectors, float[] itemVectors, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (userVectors.Length % dimension != 0)
        {
            throw new ArgumentException($"{userVectors.Length} user values are not a multiple of the dimension {dimension}", nameof(userVectors));
        }

        if (itemVectors.Length % dimension != 0)
        {
            throw new ArgumentException($"{itemVectors.Length} item values are not a multiple of the dimension {dimension}", nameof(itemVectors));
        }

        _userVectors = userVectors;
        Dimension = dimension;
        UserCount = userVectors.Length / dimension;
        ItemCount = itemVectors.Length / dimension;

        int step = 2 * s_width;
        _paddedItemCount = (ItemCount + step - 1) / step * step;
        _itemsTransposed = new float[(long)_paddedItemCount * dimension];
        for (int item = 0; item < ItemCount; item++)
        {
            for (int k = 0; k < dimension; k++)
            {
                _itemsTransposed[(k * _paddedItemCount) + item] = itemVectors[(item * dimension) + k];
            }
        }
    }

    public int Dimension { get; }

    public int UserCount { get; }

    public int ItemCount { get; }

    /// <summary>Threads used by <see cref="Score"/> (-1: all cores).</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    public void Score(ReadOnlySpan<int> users, Span<float> scores)
    {
        if (scores.Length < users.Length * ItemCount)
        {
            throw new ArgumentException($"scores holds {scores.Length} values, {users.Length} users x {ItemCount} items need {users.Length * ItemCount}", nameof(scores));
        }

        foreach (int user in users)
        {
            if ((uint)user >= (uint)UserCount)
            {
                throw new ArgumentOutOfRangeException(nameof(users), $"user {user} is outside [0, {UserCount})");
            }
        }

        int[] userArray = users.ToArray();
        int chunkCount = (userArray.Length + UsersPerChunk - 1) / UsersPerChunk;
        unsafe
        {
            fixed (float* scoresPointer = scores)
            {
                nint scoresAddress = (nint)scoresPointer;
                Parallel.For(
                    0,
                    chunkCount,
                    new ParallelOptions { MaxDegreeOfParallelism = MaxDegreeOfParallelism },
                    chunk => ScoreChunk(userArray, chunk * UsersPerChunk, Math.Min(UsersPerChunk, userArray.Length - (chunk * UsersPerChunk)), (float*)scoresAddress));
            }
        }
    }

    private unsafe void ScoreChunk(int[] users, int first, int count, float* scores)
    {
        int dimension = Dimension;
        int step = 2 * s_width;
        float* tail = stackalloc float[UsersPerKernel * step];
        fixed (float* userBase = _userVectors)
        fixed (float* itemBase = _itemsTransposed)
        {
            float** userRows = stackalloc float*[UsersPerKernel];
            float** outputRows = stackalloc float*[UsersPerKernel];
            for (int tileStart = 0; tileStart < _paddedItemCount; tileStart += ItemsPerTile)
            {
                int tileEnd = Math.Min(tileStart + ItemsPerTile, _paddedItemCount);
                for (int group = 0; group < count; group += UsersPerKernel)
                {
                    int groupSize = Math.Min(UsersPerKernel, count - group);
                    for (int r = 0; r < UsersPerKernel; r++)
                    {
                        // A short last group repeats its first user; the extra rows are computed and discarded.
                        int row = first + group + (r < groupSize ? r : 0);
                        userRows[r] = userBase + ((long)users[row] * dimension);
                        outputRows[r] = scores + ((long)row * ItemCount);
                    }

                    for (int j = tileStart; j < tileEnd; j += step)
                    {
                        Kernel(userRows, itemBase + j, _paddedItemCount, dimension, tail, step);
                        int valid = Math.Min(step, ItemCount - j);
                        for (int r = 0; r < groupSize; r++)
                        {
                            new ReadOnlySpan<float>(tail + (r * step), valid).CopyTo(new Span<float>(outputRows[r] + j, valid));
                        }
                    }
                }
            }
        }
    }

    /// <summary>output[r, 0..2W) = sum_k user_r[k] * items[k, 0..2W) for the 4 users.</summary>
    private static unsafe void Kernel(float** users, float* items, int stride, int dimension, float* output, int step)
    {
        int width = s_width;
        Vector<float> a0 = Vector<float>.Zero, a1 = Vector<float>.Zero;
        Vector<float> b0 = Vector<float>.Zero, b1 = Vector<float>.Zero;
        Vector<float> c0 = Vector<float>.Zero, c1 = Vector<float>.Zero;
        Vector<float> d0 = Vector<float>.Zero, d1 = Vector<float>.Zero;
        float* u0 = users[0], u1 = users[1], u2 = users[2], u3 = users[3];
        for (int k = 0; k < dimension; k++)
        {
            float* itemRow = items + ((long)k * stride);
            Vector<float> left = Vector.Load(itemRow);
            Vector<float> right = Vector.Load(itemRow + width);
            Vector<float> x0 = new(u0[k]);
            Vector<float> x1 = new(u1[k]);
            Vector<float> x2 = new(u2[k]);
            Vector<float> x3 = new(u3[k]);
            a0 = Vector.MultiplyAddEstimate(x0, left, a0);
            a1 = Vector.MultiplyAddEstimate(x0, right, a1);
            b0 = Vector.MultiplyAddEstimate(x1, left, b0);
            b1 = Vector.MultiplyAddEstimate(x1, right, b1);
            c0 = Vector.MultiplyAddEstimate(x2, left, c0);
            c1 = Vector.MultiplyAddEstimate(x2, right, c1);
            d0 = Vector.MultiplyAddEstimate(x3, left, d0);
            d1 = Vector.MultiplyAddEstimate(x3, right, d1);
        }

        a0.Store(output);
        a1.Store(output + width);
        b0.Store(output + step);
        b1.Store(output + step + width);
        c0.Store(output + (2 * step));
        c1.Store(output + (2 * step) + width);
        d0.Store(output + (3 * step));
        d1.Store(output + (3 * step) + width);
    }
}
