using System.Buffers.Binary;
using System.Text;
using Motor.Core.Datasets;
using Motor.Core.Features;

namespace Motor.Core.Tests;

public sealed class NpyFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(NpyDataType.Float16)]
    [InlineData(NpyDataType.Float32)]
    [InlineData(NpyDataType.Float64)]
    public void RoundTripKeepsValuesShapeAndType(NpyDataType type)
    {
        float[] values = [0.5f, -1.25f, 3f, 1024f, -0.0078125f, 65504f];
        string path = _temp.File($"a_{type}.npy");

        NpyFile.Write(path, values, 2, 3, type);
        NpyArray array = NpyFile.Read(path);

        Assert.Equal(2, array.Rows);
        Assert.Equal(3, array.Columns);
        Assert.Equal(type, array.StoredType);
        Assert.Equal(values, array.Values);
        Assert.Equal([1024f, -0.0078125f, 65504f], array.Row(1).ToArray());
        Assert.Equal(0, new FileInfo(path).Length % 2);
        Assert.Equal(type, NpyFile.ReadHeader(path).DataType);
    }

    [Fact]
    public void Float16RoundsLikeHalf()
    {
        float[] values = [0.1f, 1f / 3f];
        string path = _temp.File("half.npy");

        NpyFile.Write(path, values, 1, 2, NpyDataType.Float16);

        Assert.Equal([(float)(Half)0.1f, (float)(Half)(1f / 3f)], NpyFile.Read(path).Values);
    }

    [Fact]
    public void WrittenHeaderIsNumpyVersion1AlignedTo64()
    {
        string path = _temp.File("aligned.npy");
        NpyFile.Write(path, new float[6], 3, 2);

        byte[] bytes = File.ReadAllBytes(path);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);

        Assert.Equal(1, bytes[6]);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", header);
        Assert.EndsWith("\n", header);
    }

    [Fact]
    public void ReadsVersion2HeaderAndOneDimensionalShapeAsColumn()
    {
        string path = _temp.File("v2.npy");
        WriteRaw(path, 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", BytesOf(1.5, -2, 4));

        NpyArray array = NpyFile.Read(path);

        Assert.Equal(3, array.Rows);
        Assert.Equal(1, array.Columns);
        Assert.Equal([1.5f, -2f, 4f], array.Values);
    }

    [Fact]
    public void ReadsVersion3Header()
    {
        string path = _temp.File("v3.npy");
        WriteRaw(path, 3, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 2)}", BytesOf(1f, 2f));

        Assert.Equal([1f, 2f], NpyFile.Read(path).Values);
    }

    [Fact]
    public void RejectsBigEndian()
    {
        string path = _temp.File("big.npy");
        WriteRaw(path, 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 2), }", new byte[8]);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.Equal(path, error.FilePath);
        Assert.Contains("unsupported dtype '>f4' (big-endian floating point)", error.Message);
        Assert.Contains("expected little-endian float '<f2', '<f4' or '<f8'", error.Message);
    }

    [Theory]
    [InlineData("<i4", "signed integer")]
    [InlineData("|u1", "unsigned integer without byte order")]
    [InlineData("|f4", "floating point without byte order")]
    public void RejectsNonFloatOrUnorderedTypes(string descr, string described)
    {
        string path = _temp.File("int.npy");
        WriteRaw(path, 1, $"{{'descr': '{descr}', 'fortran_order': False, 'shape': (1, 2), }}", new byte[8]);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains($"unsupported dtype '{descr}' ({described})", error.Message);
    }

    [Fact]
    public void RejectsFortranOrder()
    {
        string path = _temp.File("fortran.npy");
        WriteRaw(path, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }", new byte[8]);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.Contains("fortran_order is True (column-major), expected C order", error.Message);
    }

    [Fact]
    public void RejectsTruncatedData()
    {
        string path = _temp.File("truncated.npy");
        WriteRaw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new byte[20]);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.Contains("truncated: shape (2, 3) of <f4 needs 24 data bytes, found 20", error.Message);
    }

    [Fact]
    public void RejectsTrailingData()
    {
        string path = _temp.File("long.npy");
        WriteRaw(path, 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 1), }", new byte[4]);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.Contains("unexpected trailing data: shape (1, 1) of <f2 needs 2 data bytes, found 4", error.Message);
    }

    [Fact]
    public void RejectsBadMagic()
    {
        string path = _temp.File("magic.npy");
        File.WriteAllText(path, "userID\titemID\tx_label\n0\t0\t0\n");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.Equal($"{path}: not a .npy file: expected the magic bytes \\x93NUMPY at the start", error.Message);
    }

    [Fact]
    public void RejectsUnknownVersion()
    {
        string path = _temp.File("v9.npy");
        WriteRaw(path, 9, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", new byte[4]);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.Contains("unsupported .npy format version 9.0, expected 1.0, 2.0 or 3.0", error.Message);
    }

    [Fact]
    public void RejectsThreeDimensions()
    {
        string path = _temp.File("cube.npy");
        WriteRaw(path, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), }", new byte[4]);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.Contains("shape (1, 1, 1) has 3 dimensions, expected 1 or 2", error.Message);
    }

    [Fact]
    public void RejectsTruncatedHeader()
    {
        string path = _temp.File("short-header.npy");
        byte[] bytes = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 200, 0, (byte)'{'];
        File.WriteAllBytes(path, bytes);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.Contains("truncated .npy header: declares 200 header bytes, the file has 1", error.Message);
    }

    [Fact]
    public void RejectsMalformedHeader()
    {
        string path = _temp.File("malformed.npy");
        WriteRaw(path, 1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1, 1), }", new byte[4]);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.Contains("malformed .npy header", error.Message);
        Assert.Contains("expected a string, a tuple, True or False", error.Message);
    }

    [Fact]
    public void MissingFileIsAFormatErrorNamingTheFile()
    {
        string path = _temp.File("absent.npy");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => NpyFile.Read(path));

        Assert.StartsWith(path + ": cannot read the file", error.Message);
    }

    internal static void WriteRaw(string path, int version, string header, byte[] data)
    {
        int prefix = version == 1 ? 10 : 12;
        string padded = header + new string(' ', (64 - ((prefix + header.Length + 1) % 64)) % 64) + "\n";
        using FileStream stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        byte[] length = new byte[prefix - 8];
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)padded.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)padded.Length);
        }

        stream.Write(length);
        stream.Write(Encoding.UTF8.GetBytes(padded));
        stream.Write(data);
    }

    private static byte[] BytesOf(params double[] values)
        => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] BytesOf(params float[] values)
        => values.SelectMany(BitConverter.GetBytes).ToArray();
}
