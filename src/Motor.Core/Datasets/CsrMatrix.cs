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
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        ArgumentOutOfRangeException.ThrowIfNegative(columnCount);
        if (rows.Length != columns.Length)
        {
            throw new ArgumentException($"{rows.Length} rows but {columns.Length} columns", nameof(columns));
        }

        // Counting sort by row, then sort and de-duplicate each row's columns.
        int[] offsets = new int[rowCount + 1];
        for (int i = 0; i < rows.Length; i++)
        {
            int row = rows[i];
            int column = columns[i];
            if ((uint)row >= (uint)rowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), $"row {row} at position {i} is outside [0, {rowCount})");
            }

            if ((uint)column >= (uint)columnCount)
            {
                throw new ArgumentOutOfRangeException(nameof(columns), $"column {column} at position {i} is outside [0, {columnCount})");
            }

            offsets[row + 1]++;
        }

        for (int row = 0; row < rowCount; row++)
        {
            offsets[row + 1] += offsets[row];
        }

        int[] next = offsets[..rowCount];
        int[] values = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            values[next[rows[i]]++] = columns[i];
        }

        int write = 0;
        int[] compactOffsets = new int[rowCount + 1];
        for (int row = 0; row < rowCount; row++)
        {
            Span<int> segment = values.AsSpan(offsets[row], offsets[row + 1] - offsets[row]);
            segment.Sort();
            for (int i = 0; i < segment.Length; i++)
            {
                if (i == 0 || segment[i] != segment[i - 1])
                {
                    values[write++] = segment[i];
                }
            }

            compactOffsets[row + 1] = write;
        }

        return new CsrMatrix(rowCount, columnCount, compactOffsets, write == values.Length ? values : values[..write]);
    }

    /// <summary>The transpose (e.g. item -> users).</summary>
    public CsrMatrix Transpose()
    {
        int[] offsets = new int[ColumnCount + 1];
        foreach (int column in Columns)
        {
            offsets[column + 1]++;
        }

        for (int column = 0; column < ColumnCount; column++)
        {
            offsets[column + 1] += offsets[column];
        }

        // Rows are visited in ascending order, so each transposed row comes out sorted.
        int[] next = offsets[..ColumnCount];
        int[] values = new int[Columns.Length];
        for (int row = 0; row < RowCount; row++)
        {
            foreach (int column in Row(row))
            {
                values[next[column]++] = row;
            }
        }

        return new CsrMatrix(ColumnCount, RowCount, offsets, values);
    }

    /// <summary>The same rows keeping only the columns for which <paramref name="keep"/> is true.</summary>
    public CsrMatrix Filter(Func<int, bool> keep)
    {
        int[] offsets = new int[RowCount + 1];
        List<int> values = new(Columns.Length);
        for (int row = 0; row < RowCount; row++)
        {
            foreach (int column in Row(row))
            {
                if (keep(column))
                {
                    values.Add(column);
                }
            }

            offsets[row + 1] = values.Count;
        }

        return new CsrMatrix(RowCount, ColumnCount, offsets, [.. values]);
    }
}
