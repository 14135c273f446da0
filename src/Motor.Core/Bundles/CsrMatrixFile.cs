using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Motor.Core.Datasets;

namespace Motor.Core.Bundles;

/// <summary>
/// Binary form of a <see cref="CsrMatrix"/>: magic "MCSR", int32 version (1), int32 rows, int32 columns, int32 non-zeros,
/// then int32 row offsets (rows + 1) and int32 column indices, all little-endian.
/// </summary>
public static class CsrMatrixFile
{
    private const int Version = 1;
    private static ReadOnlySpan<byte> Magic => "MCSR"u8;

    public static void Write(Stream stream, CsrMatrix matrix)
    {
        Span<byte> header = stackalloc byte[20];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], matrix.RowCount);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], matrix.ColumnCount);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], matrix.NonZeroCount);
        stream.Write(header);
        WriteInt32s(stream, matrix.RowOffsets);
        WriteInt32s(stream, matrix.Columns);
    }

    /// <summary>Reads and validates (offsets monotone, columns in range and strictly ascending per row).</summary>
    /// <exception cref="BundleException">Naming <paramref name="sourceName"/> and the first problem found.</exception>
    public static CsrMatrix Read(Stream stream, string sourceName)
    {
        Span<byte> header = stackalloc byte[20];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
        {
            throw new BundleException(sourceName, "truncated header (expected 20 bytes)");
        }

        if (!header[..4].SequenceEqual(Magic))
        {
            throw new BundleException(sourceName, "not a CSR matrix file (magic 'MCSR' missing)");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        int rows = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        int columns = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        int nonZeros = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        if (version != Version)
        {
            throw new BundleException(sourceName, $"CSR file version {version} is not supported (expected {Version})");
        }

        if (rows < 0 || columns < 0 || nonZeros < 0)
        {
            throw new BundleException(sourceName, $"negative size in header (rows {rows}, columns {columns}, non-zeros {nonZeros})");
        }

        long expectedBytes = 20L + 4L * (rows + 1L) + 4L * nonZeros;
        if (stream.CanSeek && stream.Length != expectedBytes)
        {
            throw new BundleException(sourceName, $"size {stream.Length} bytes does not match the header ({rows} rows, {nonZeros} non-zeros: {expectedBytes} bytes)");
        }

        int[] offsets = ReadInt32s(stream, rows + 1, sourceName);
        int[] indices = ReadInt32s(stream, nonZeros, sourceName);
        if (offsets[0] != 0 || offsets[rows] != nonZeros)
        {
            throw new BundleException(sourceName, $"row offsets must start at 0 and end at {nonZeros}");
        }

        for (int row = 0; row < rows; row++)
        {
            int start = offsets[row];
            int end = offsets[row + 1];
            if (end < start)
            {
                throw new BundleException(sourceName, $"row offsets decrease at row {row}");
            }

            for (int position = start; position < end; position++)
            {
                int column = indices[position];
                if ((uint)column >= (uint)columns)
                {
                    throw new BundleException(sourceName, $"row {row}: column {column} out of range [0, {columns})");
                }

                if (position > start && column <= indices[position - 1])
                {
                    throw new BundleException(sourceName, $"row {row}: columns not strictly ascending");
                }
            }
        }

        return new CsrMatrix(rows, columns, offsets, indices);
    }

    private static void WriteInt32s(Stream stream, int[] values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }

        byte[] buffer = new byte[4];
        foreach (int value in values)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer, value);
            stream.Write(buffer);
        }
    }

    private static int[] ReadInt32s(Stream stream, int count, string sourceName)
    {
        int[] values = new int[count];
        Span<byte> bytes = MemoryMarshal.AsBytes(values.AsSpan());
        if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length)
        {
            throw new BundleException(sourceName, "truncated (fewer values than the header declares)");
        }

        if (!BitConverter.IsLittleEndian)
        {
            for (int index = 0; index < values.Length; index++)
            {
                values[index] = BinaryPrimitives.ReverseEndianness(values[index]);
            }
        }

        return values;
    }
}
