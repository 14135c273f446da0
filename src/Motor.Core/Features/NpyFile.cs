namespace Motor.Core.Features;

/// <summary>Element type of a <c>.npy</c> file; only little-endian floats are supported.</summary>
public enum NpyDataType
{
    Float16,
    Float32,
    Float64,
}

/// <summary>A two-dimensional array read from a <c>.npy</c> file, widened to float32, row-major.</summary>
public sealed class NpyArray(int rows, int columns, NpyDataType storedType, float[] values)
{
    public int Rows { get; } = rows;

    public int Columns { get; } = columns;

    /// <summary>The element type the file stored (values are always float32 in memory).</summary>
    public NpyDataType StoredType { get; } = storedType;

    /// <summary>Rows x Columns values, row-major.</summary>
    public float[] Values { get; } = values;

    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Columns, Columns);
}

/// <summary>Reads and writes NumPy <c>.npy</c> files (format versions 1 and 2, little-endian float16/32/64, C order).</summary>
public static class NpyFile
{
    /// <summary>Reads a 1-D (as N x 1) or 2-D array. Throws <see cref="Datasets.DatasetFormatException"/> naming the file and what was found.</summary>
    public static NpyArray Read(string path) => throw new NotImplementedException();

    /// <summary>Writes a 2-D array of <paramref name="rows"/> x <paramref name="columns"/> values, converting to <paramref name="storedType"/>.</summary>
    public static void Write(string path, ReadOnlySpan<float> values, int rows, int columns, NpyDataType storedType = NpyDataType.Float32)
        => throw new NotImplementedException();
}
