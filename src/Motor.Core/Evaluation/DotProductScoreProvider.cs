using Motor.Core.Search;

namespace Motor.Core.Evaluation;

/// <summary>Scores users against items by inner product of their vectors (users x d and items x d, row-major).</summary>
/// <remarks>
/// Runs on the search path's batched kernel (<see cref="ScoringKernels.ScoreBlock"/>) with the roles swapped: the items
/// are packed in panels of <see cref="ScoringKernels.BlockWidth"/> items stored d x width (the kernel's transposed
/// query block), and a chunk of users, gathered into contiguous rows, is the kernel's rows. Each call writes a users x
/// width block of the score matrix in place (row stride = item count), so a panel is reused from cache by every user of
/// the chunk and no horizontal sums are needed. Chunks of users run in parallel. Each score sums over the dimensions
/// in order 0..d-1.
/// </remarks>
public sealed class DotProductScoreProvider : IScoreProvider
{
    private const int UsersPerChunk = 32;

    private readonly float[] _userVectors;
    private readonly float[] _itemPanels;
    private readonly int _panelCount;

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

        int width = ScoringKernels.BlockWidth;
        _panelCount = (ItemCount + width - 1) / width;
        _itemPanels = new float[Math.Max(1L, (long)_panelCount * width * dimension)];
        for (int item = 0; item < ItemCount; item++)
        {
            long panelStart = (long)(item / width) * dimension * width;
            int lane = item % width;
            for (int k = 0; k < dimension; k++)
            {
                _itemPanels[panelStart + ((long)k * width) + lane] = itemVectors[((long)item * dimension) + k];
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
        if (scores.Length < (long)users.Length * ItemCount)
        {
            throw new ArgumentException($"scores holds {scores.Length} values, {users.Length} users x {ItemCount} items need {(long)users.Length * ItemCount}", nameof(scores));
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
                    () => new float[(UsersPerChunk * Dimension) + (UsersPerChunk * ScoringKernels.BlockWidth)],
                    (chunk, _, scratch) =>
                    {
                        int first = chunk * UsersPerChunk;
                        ScoreChunk(userArray, first, Math.Min(UsersPerChunk, userArray.Length - first), (float*)scoresAddress, scratch);
                        return scratch;
                    },
                    _ => { });
            }
        }
    }

    /// <summary>Scores users[first..first+count) against every item into their rows of <paramref name="scores"/>.</summary>
    private unsafe void ScoreChunk(int[] users, int first, int count, float* scores, float[] scratch)
    {
        int dimension = Dimension;
        int width = ScoringKernels.BlockWidth;
        int fullPanels = ItemCount / width;
        fixed (float* userBase = _userVectors)
        fixed (float* panelBase = _itemPanels)
        fixed (float* scratchBase = scratch)
        {
            // The chunk's user rows, contiguous (the kernel's row layout); the rest of the scratch takes the last,
            // partial panel's scores, which would overrun the score matrix's rows.
            float* userRows = scratchBase;
            float* tail = scratchBase + (UsersPerChunk * dimension);
            for (int u = 0; u < count; u++)
            {
                new ReadOnlySpan<float>(userBase + ((long)users[first + u] * dimension), dimension).CopyTo(new Span<float>(userRows + ((long)u * dimension), dimension));
            }

            float* output = scores + ((long)first * ItemCount);
            for (int panel = 0; panel < fullPanels; panel++)
            {
                ScoringKernels.ScoreBlock(userRows, count, dimension, panelBase + ((long)panel * width * dimension), output + ((long)panel * width), ItemCount);
            }

            int valid = ItemCount - (fullPanels * width);
            if (valid > 0)
            {
                ScoringKernels.ScoreBlock(userRows, count, dimension, panelBase + ((long)fullPanels * width * dimension), tail, width);
                for (int u = 0; u < count; u++)
                {
                    new ReadOnlySpan<float>(tail + ((long)u * width), valid).CopyTo(new Span<float>(output + ((long)u * ItemCount) + ((long)fullPanels * width), valid));
                }
            }
        }
    }
}
