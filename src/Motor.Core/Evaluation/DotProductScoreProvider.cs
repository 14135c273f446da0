using System.Numerics;

namespace Motor.Core.Evaluation;

/// <summary>Scores users against items by inner product of their vectors (users x d and items x d, row-major).</summary>
/// <remarks>
/// The items are packed in panels of 2 SIMD widths (16 items with AVX2), each panel stored d x 16 contiguously, so that the
/// kernel computes 4 users x 16 items with broadcast-multiply-add over a sequential stream and no horizontal sums. Panels
/// are processed in tiles that stay in cache while the users of a chunk pass over them, and chunks of users run in
/// parallel. Each score sums over the dimensions in order 0..d-1.
/// </remarks>
public sealed class DotProductScoreProvider : IScoreProvider
{
    private const int UsersPerKernel = 4;
    private const int UsersPerChunk = 32;
    private const int ItemsPerTile = 512;

    private static readonly int s_width = Vector<float>.Count;

    private readonly float[] _userVectors;
    private readonly float[] _itemPanels;
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
        _itemPanels = new float[(long)_paddedItemCount * dimension];
        for (int item = 0; item < ItemCount; item++)
        {
            int panelStart = item / step * dimension * step;
            int lane = item % step;
            for (int k = 0; k < dimension; k++)
            {
                _itemPanels[panelStart + (k * step) + lane] = itemVectors[(item * dimension) + k];
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
        float* scratch = stackalloc float[UsersPerKernel * step];
        float** userRows = stackalloc float*[UsersPerKernel];
        float** outputRows = stackalloc float*[UsersPerKernel];
        float** kernelOutputs = stackalloc float*[UsersPerKernel];
        fixed (float* userBase = _userVectors)
        fixed (float* panelBase = _itemPanels)
        {
            for (int tileStart = 0; tileStart < _paddedItemCount; tileStart += ItemsPerTile)
            {
                int tileEnd = Math.Min(tileStart + ItemsPerTile, _paddedItemCount);
                for (int group = 0; group < count; group += UsersPerKernel)
                {
                    int groupSize = Math.Min(UsersPerKernel, count - group);
                    for (int r = 0; r < UsersPerKernel; r++)
                    {
                        // A short last group repeats its first user; the extra rows go to the scratch buffer.
                        int row = first + group + (r < groupSize ? r : 0);
                        userRows[r] = userBase + ((long)users[row] * dimension);
                        outputRows[r] = r < groupSize ? scores + ((long)row * ItemCount) : null;
                    }

                    for (int j = tileStart; j < tileEnd; j += step)
                    {
                        bool full = j + step <= ItemCount;
                        for (int r = 0; r < UsersPerKernel; r++)
                        {
                            kernelOutputs[r] = full && outputRows[r] is not null ? outputRows[r] + j : scratch + (r * step);
                        }

                        Kernel(userRows, panelBase + ((long)j * dimension), step, dimension, kernelOutputs);
                        if (!full)
                        {
                            int valid = ItemCount - j;
                            for (int r = 0; r < groupSize; r++)
                            {
                                new ReadOnlySpan<float>(scratch + (r * step), valid).CopyTo(new Span<float>(outputRows[r] + j, valid));
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>outputs[r][0..2W) = sum_k user_r[k] * panel[k, 0..2W) for the 4 users.</summary>
    private static unsafe void Kernel(float** users, float* panel, int step, int dimension, float** outputs)
    {
        int width = s_width;
        Vector<float> a0 = Vector<float>.Zero, a1 = Vector<float>.Zero;
        Vector<float> b0 = Vector<float>.Zero, b1 = Vector<float>.Zero;
        Vector<float> c0 = Vector<float>.Zero, c1 = Vector<float>.Zero;
        Vector<float> d0 = Vector<float>.Zero, d1 = Vector<float>.Zero;
        float* u0 = users[0], u1 = users[1], u2 = users[2], u3 = users[3];
        for (int k = 0; k < dimension; k++)
        {
            float* panelRow = panel + ((long)k * step);
            Vector<float> left = Vector.Load(panelRow);
            Vector<float> right = Vector.Load(panelRow + width);
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

        a0.Store(outputs[0]);
        a1.Store(outputs[0] + width);
        b0.Store(outputs[1]);
        b1.Store(outputs[1] + width);
        c0.Store(outputs[2]);
        c1.Store(outputs[2] + width);
        d0.Store(outputs[3]);
        d1.Store(outputs[3] + width);
    }
}
