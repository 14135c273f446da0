using System.Diagnostics;
using Motor.Core.Search;
using Xunit.Abstractions;

namespace Motor.Core.Tests;

public sealed class TopKSelectorTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 1000, 1)]
    [InlineData(2, 1000, 10)]
    [InlineData(3, 1000, 100)]
    [InlineData(4, 50, 50)]
    [InlineData(5, 50, 80)]
    [InlineData(6, 1, 3)]
    public void MatchesSortBasedReferenceWithTiesMinusInfinityAndNaN(int seed, int count, int k)
    {
        Random random = new(seed);
        float[] scores = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Few distinct values force many ties; some entries are masked or invalid.
            int draw = random.Next(20);
            scores[i] = draw switch
            {
                0 => float.NegativeInfinity,
                1 => float.NaN,
                _ => random.Next(8) * 0.5f,
            };
        }

        ScoredItem[] result = new ScoredItem[k];
        int written = TopKSelector.Select(scores, k, result);

        ScoredItem[] expected = Reference(scores, k);
        Assert.Equal(expected.Length, written);
        Assert.Equal(expected, result[..written]);
    }

    [Fact]
    public void NeverReturnsMinusInfinity()
    {
        float[] scores = [float.NegativeInfinity, 2f, float.NegativeInfinity, 1f];
        ScoredItem[] result = new ScoredItem[4];

        int written = TopKSelector.Select(scores, 4, result);

        Assert.Equal(2, written);
        Assert.Equal([new ScoredItem(1, 2f), new ScoredItem(3, 1f)], result[..2]);
    }

    [Fact]
    public void TiesGoToTheLowerIndex()
    {
        float[] scores = [1f, 3f, 3f, 1f, 3f];
        ScoredItem[] result = new ScoredItem[2];

        TopKSelector.Select(scores, 2, result);

        Assert.Equal([new ScoredItem(1, 3f), new ScoredItem(2, 3f)], result);
    }

    [Fact]
    public void ZeroKOrEmptyScoresSelectNothing()
    {
        Assert.Equal(0, TopKSelector.Select([1f, 2f], 0, []));
        Assert.Equal(0, TopKSelector.Select([], 5, new ScoredItem[5]));
    }

    [Fact]
    public void TooSmallResultSpanIsRejected()
    {
        Assert.Throws<ArgumentException>(() => TopKSelector.Select([1f, 2f, 3f], 3, new ScoredItem[2]));
    }

    [Fact]
    public void MillionScoresTop100IsExactAndFast()
    {
        Random random = new(42);
        float[] scores = new float[1_000_000];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = (float)random.NextDouble();
        }

        ScoredItem[] result = new ScoredItem[100];
        TopKSelector.Select(scores, 100, result);
        Stopwatch watch = Stopwatch.StartNew();
        const int repetitions = 10;
        for (int i = 0; i < repetitions; i++)
        {
            TopKSelector.Select(scores, 100, result);
        }

        double milliseconds = watch.Elapsed.TotalMilliseconds / repetitions;
        output.WriteLine($"top-100 of 1e6 scores: {milliseconds:F2} ms per selection (shared machine, noisy)");
        Assert.Equal(Reference(scores, 100), result);

        // A generous bound (a sort takes about 100 ms): it only catches a pathological slowdown on a shared machine.
        Assert.True(milliseconds < 100, $"{milliseconds} ms per selection");
    }

    private static ScoredItem[] Reference(float[] scores, int k)
        => scores
            .Select((score, item) => new ScoredItem(item, score))
            .Where(candidate => candidate.Score > float.NegativeInfinity)
            .OrderByDescending(candidate => candidate.Score)
            .ThenBy(candidate => candidate.Item)
            .Take(k)
            .ToArray();
}
