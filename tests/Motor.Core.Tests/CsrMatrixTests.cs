using Motor.Core.Datasets;

namespace Motor.Core.Tests;

public sealed class CsrMatrixTests
{
    [Fact]
    public void FromPairsSortsAndRemovesDuplicates()
    {
        CsrMatrix matrix = CsrMatrix.FromPairs(3, 5, [2, 0, 2, 0, 2, 0], [4, 3, 1, 1, 4, 3]);

        Assert.Equal([0, 2, 2, 4], matrix.RowOffsets);
        Assert.Equal([1, 3, 1, 4], matrix.Columns);
        Assert.Equal(0, matrix.RowLength(1));
        Assert.True(matrix.Contains(2, 4));
        Assert.False(matrix.Contains(2, 3));
    }

    [Fact]
    public void FromPairsRejectsOutOfRangeIndices()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CsrMatrix.FromPairs(2, 2, [0, 2], [0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CsrMatrix.FromPairs(2, 2, [0], [-1]));
        Assert.Throws<ArgumentException>(() => CsrMatrix.FromPairs(2, 2, [0, 1], [0]));
    }

    [Fact]
    public void TransposeMatchesRandomPairs()
    {
        Random random = new(7);
        int[] rows = Enumerable.Range(0, 500).Select(_ => random.Next(40)).ToArray();
        int[] columns = Enumerable.Range(0, 500).Select(_ => random.Next(30)).ToArray();
        CsrMatrix matrix = CsrMatrix.FromPairs(40, 30, rows, columns);

        CsrMatrix transpose = matrix.Transpose();

        Assert.Equal((30, 40), (transpose.RowCount, transpose.ColumnCount));
        Assert.Equal(matrix.NonZeroCount, transpose.NonZeroCount);
        for (int row = 0; row < 40; row++)
        {
            for (int column = 0; column < 30; column++)
            {
                Assert.Equal(matrix.Contains(row, column), transpose.Contains(column, row));
            }
        }

        for (int row = 0; row < transpose.RowCount; row++)
        {
            Assert.True(transpose.Row(row).ToArray().SequenceEqual(transpose.Row(row).ToArray().Order()));
        }

        Assert.Equal(matrix.Columns, transpose.Transpose().Columns);
    }

    [Fact]
    public void FilterKeepsSelectedColumns()
    {
        CsrMatrix matrix = CsrMatrix.FromPairs(2, 4, [0, 0, 1, 1], [0, 3, 1, 3]);

        CsrMatrix filtered = matrix.Filter(column => column == 3);

        Assert.Equal([0, 1, 2], filtered.RowOffsets);
        Assert.Equal([3, 3], filtered.Columns);
    }
}
