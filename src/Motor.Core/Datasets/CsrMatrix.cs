namespace Motor.Core.Datasets;

/// <summary>A compressed sparse row set of (row, column) pairs, e.g. each user's items; columns sorted within a row.</summary>
public sealed class CsrMatrix
{
    public CsrMatrix(int rowCount, int columnCount, int[] rowOffsets, int[] columns)
    {
        RowCount = rowCount;
        ColumnCount = columnCount;
        RowOffsets = rowOffsets;
        Columns = columns;
    }

    public int RowCount { get; }

    public int ColumnCount { get; }

    /// <summary>RowCount + 1 offsets into <see cref="Columns"/>.</summary>
    public int[] RowOffsets { get; }

    public int[] Columns { get; }

    public int NonZeroCount => Columns.Length;

    public ReadOnlySpan<int> Row(int row) => Columns.AsSpan(RowOffsets[row], RowOffsets[row + 1] - RowOffsets[row]);

    public int RowLength(int row) => RowOffsets[row + 1] - RowOffsets[row];

    public bool Contains(int row, int column) => Row(row).BinarySearch(column) >= 0;

    /// <summary>Builds from unsorted pairs; duplicates are removed.</summary>
    public static CsrMatrix FromPairs(int rowCount, int columnCount, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns)
        => throw new NotImplementedException();

    /// <summary>The transpose (e.g. item -> users).</summary>
    public CsrMatrix Transpose() => throw new NotImplementedException();
}
