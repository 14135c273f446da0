using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Motor.Core.Datasets;

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

/// <summary>What the header of a <c>.npy</c> file declares (read without the data).</summary>
public sealed record NpyHeader(int FormatVersion, NpyDataType DataType, int Rows, int Columns, int DataOffset)
{
    public int ElementSize => NpyFile.ElementSize(DataType);
}

/// <summary>Reads and writes NumPy <c>.npy</c> files (format versions 1, 2 and 3, little-endian float16/32/64, C order).</summary>
public static class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a 1-D (as N x 1) or 2-D array. Throws <see cref="DatasetFormatException"/> naming the file and what was found.</summary>
    public static NpyArray Read(string path)
    {
        byte[] bytes = InputFile.ReadAllBytes(path);

        NpyHeader header = ParseHeader(bytes, path);
        long expectedBytes = (long)header.Rows * header.Columns * header.ElementSize;
        long foundBytes = bytes.Length - header.DataOffset;
        if (foundBytes != expectedBytes)
        {
            string kind = foundBytes < expectedBytes ? "truncated" : "unexpected trailing data";
            throw new DatasetFormatException(
                path,
                $"{kind}: shape ({header.Rows}, {header.Columns}) of {DescriptorOf(header.DataType)} needs {expectedBytes} data bytes, found {foundBytes}");
        }

        ReadOnlySpan<byte> data = bytes.AsSpan(header.DataOffset);
        float[] values = new float[checked(header.Rows * header.Columns)];
        switch (header.DataType)
        {
            case NpyDataType.Float16:
                ReadOnlySpan<Half> halves = MemoryMarshal.Cast<byte, Half>(data);
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (float)halves[i];
                }

                break;
            case NpyDataType.Float32:
                MemoryMarshal.Cast<byte, float>(data).CopyTo(values);
                break;
            case NpyDataType.Float64:
                ReadOnlySpan<double> doubles = MemoryMarshal.Cast<byte, double>(data);
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (float)doubles[i];
                }

                break;
        }

        return new NpyArray(header.Rows, header.Columns, header.DataType, values);
    }

    /// <summary>Reads only the header (format, dtype, shape) of a <c>.npy</c> file.</summary>
    public static NpyHeader ReadHeader(string path)
    {
        byte[] prefix;
        try
        {
            using FileStream stream = File.OpenRead(path);
            prefix = new byte[(int)Math.Min(stream.Length, 1 << 20)];
            stream.ReadExactly(prefix);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, $"cannot read the file ({exception.Message})");
        }

        return ParseHeader(prefix, path);
    }

    /// <summary>Writes a 2-D array of <paramref name="rows"/> x <paramref name="columns"/> values, converting to <paramref name="storedType"/>.</summary>
    public static void Write(string path, ReadOnlySpan<float> values, int rows, int columns, NpyDataType storedType = NpyDataType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if ((long)rows * columns != values.Length)
        {
            throw new ArgumentException($"{values.Length} values do not form a {rows} x {columns} array", nameof(values));
        }

        string dictionary = $"{{'descr': '{DescriptorOf(storedType)}', 'fortran_order': False, 'shape': ({rows}, {columns}), }}";

        // Version 1 stores the header length in 16 bits; longer headers (never for 2-D shapes, but kept correct) need version 2.
        int version = dictionary.Length + 1 + 10 > ushort.MaxValue ? 2 : 1;
        int prefixLength = version == 1 ? 10 : 12;

        // The data must start at a multiple of 64 bytes; the header is padded with spaces and ends with a newline.
        int headerLength = dictionary.Length + 1;
        int padding = (64 - ((prefixLength + headerLength) % 64)) % 64;
        headerLength += padding;

        using FileStream stream = new(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        stream.Write(Magic);
        stream.WriteByte((byte)version);
        stream.WriteByte(0);
        Span<byte> lengthBytes = stackalloc byte[4];
        if (version == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(lengthBytes, (ushort)headerLength);
            stream.Write(lengthBytes[..2]);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(lengthBytes, (uint)headerLength);
            stream.Write(lengthBytes);
        }

        stream.Write(Encoding.ASCII.GetBytes(dictionary + new string(' ', padding) + "\n"));

        switch (storedType)
        {
            case NpyDataType.Float32:
                stream.Write(MemoryMarshal.AsBytes(values));
                break;
            case NpyDataType.Float16:
                Half[] halves = new Half[values.Length];
                for (int i = 0; i < values.Length; i++)
                {
                    halves[i] = (Half)values[i];
                }

                stream.Write(MemoryMarshal.AsBytes(halves.AsSpan()));
                break;
            case NpyDataType.Float64:
                double[] doubles = new double[values.Length];
                for (int i = 0; i < values.Length; i++)
                {
                    doubles[i] = values[i];
                }

                stream.Write(MemoryMarshal.AsBytes(doubles.AsSpan()));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(storedType), storedType, "unknown element type");
        }
    }

    internal static int ElementSize(NpyDataType type) => type switch
    {
        NpyDataType.Float16 => 2,
        NpyDataType.Float32 => 4,
        NpyDataType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type"),
    };

    private static string DescriptorOf(NpyDataType type) => type switch
    {
        NpyDataType.Float16 => "<f2",
        NpyDataType.Float32 => "<f4",
        NpyDataType.Float64 => "<f8",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown element type"),
    };

    private static NpyHeader ParseHeader(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
        {
            throw new DatasetFormatException(path, "not a .npy file: expected the magic bytes \\x93NUMPY at the start");
        }

        int major = bytes[6];
        int headerLength;
        int prefixLength;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
                prefixLength = 10;
                break;
            case 2:
            case 3:
                if (bytes.Length < 12)
                {
                    throw new DatasetFormatException(path, "truncated .npy header");
                }

                uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
                if (length > int.MaxValue - 12)
                {
                    throw new DatasetFormatException(path, $"invalid .npy header length {length}");
                }

                headerLength = (int)length;
                prefixLength = 12;
                break;
            default:
                throw new DatasetFormatException(path, $"unsupported .npy format version {major}.{bytes[7]}, expected 1.0, 2.0 or 3.0");
        }

        if (bytes.Length < prefixLength + headerLength)
        {
            throw new DatasetFormatException(path, $"truncated .npy header: declares {headerLength} header bytes, the file has {bytes.Length - prefixLength}");
        }

        // Versions 1 and 2 are latin-1, version 3 is UTF-8; the keys and values we accept are ASCII either way.
        ReadOnlySpan<byte> headerBytes = bytes.Slice(prefixLength, headerLength);
        string text = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        Dictionary<string, object> dictionary = HeaderParser.Parse(text, path);

        if (!dictionary.TryGetValue("descr", out object? descrValue) || descrValue is not string descr)
        {
            throw new DatasetFormatException(path, $"the .npy header has no 'descr' string: {text.Trim()}");
        }

        if (!dictionary.TryGetValue("fortran_order", out object? fortranValue) || fortranValue is not bool fortranOrder)
        {
            throw new DatasetFormatException(path, $"the .npy header has no 'fortran_order' True/False: {text.Trim()}");
        }

        if (!dictionary.TryGetValue("shape", out object? shapeValue) || shapeValue is not List<long> shape)
        {
            throw new DatasetFormatException(path, $"the .npy header has no 'shape' tuple: {text.Trim()}");
        }

        NpyDataType dataType = descr switch
        {
            "<f2" => NpyDataType.Float16,
            "<f4" => NpyDataType.Float32,
            "<f8" => NpyDataType.Float64,
            _ => throw new DatasetFormatException(path, $"unsupported dtype '{descr}' ({DescribeDescriptor(descr)}), expected little-endian float '<f2', '<f4' or '<f8'"),
        };

        if (fortranOrder)
        {
            throw new DatasetFormatException(path, "fortran_order is True (column-major), expected C order (fortran_order False)");
        }

        string shapeText = "(" + string.Join(", ", shape) + (shape.Count == 1 ? ",)" : ")");
        if (shape.Count is not (1 or 2))
        {
            throw new DatasetFormatException(path, $"shape {shapeText} has {shape.Count} dimensions, expected 1 or 2");
        }

        long rows = shape[0];
        long columns = shape.Count == 2 ? shape[1] : 1;
        if (rows * columns > Array.MaxLength)
        {
            throw new DatasetFormatException(path, $"shape {shapeText} is too large ({rows * columns} values)");
        }

        return new NpyHeader(major, dataType, (int)rows, (int)columns, prefixLength + headerLength);
    }

    private static string DescribeDescriptor(string descr)
    {
        if (descr.Length < 2)
        {
            return "unknown";
        }

        char order = descr[0];
        char kind = descr[1];
        string kindText = kind switch
        {
            'f' => "floating point",
            'i' => "signed integer",
            'u' => "unsigned integer",
            'b' => "boolean",
            'c' => "complex",
            'O' => "Python objects",
            'U' or 'S' => "strings",
            _ => "unknown kind",
        };
        return order switch
        {
            '>' => $"big-endian {kindText}",
            '|' => $"{kindText} without byte order",
            '=' => $"native-order {kindText}",
            _ => kindText,
        };
    }

    /// <summary>A parser for the Python dict literal of a .npy header: string keys; string, True/False and int-tuple values.</summary>
    private ref struct HeaderParser
    {
        private readonly string _text;
        private readonly string _path;
        private int _position;

        private HeaderParser(string text, string path)
        {
            _text = text;
            _path = path;
            _position = 0;
        }

        public static Dictionary<string, object> Parse(string text, string path)
        {
            HeaderParser parser = new(text, path);
            return parser.ParseDictionary();
        }

        private Dictionary<string, object> ParseDictionary()
        {
            Dictionary<string, object> result = new(StringComparer.Ordinal);
            Expect('{');
            while (true)
            {
                SkipSpaces();
                if (Peek() == '}')
                {
                    _position++;
                    return result;
                }

                string key = ParseString();
                Expect(':');
                result[key] = ParseValue();
                SkipSpaces();
                if (Peek() == ',')
                {
                    _position++;
                }
                else if (Peek() != '}')
                {
                    throw Error("expected ',' or '}'");
                }
            }
        }

        private object ParseValue()
        {
            SkipSpaces();
            char next = Peek();
            if (next is '\'' or '"')
            {
                return ParseString();
            }

            if (next == '(')
            {
                return ParseTuple();
            }

            if (Match("True"))
            {
                return true;
            }

            if (Match("False"))
            {
                return false;
            }

            throw Error("expected a string, a tuple, True or False");
        }

        private List<long> ParseTuple()
        {
            Expect('(');
            List<long> values = [];
            while (true)
            {
                SkipSpaces();
                if (Peek() == ')')
                {
                    _position++;
                    return values;
                }

                int start = _position;
                while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
                {
                    _position++;
                }

                // Python 2 writers may append 'L' to long integers.
                if (_position == start || !long.TryParse(_text.AsSpan(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                {
                    throw Error("expected a non-negative integer in the shape");
                }

                if (Peek() == 'L')
                {
                    _position++;
                }

                values.Add(value);
                SkipSpaces();
                if (Peek() == ',')
                {
                    _position++;
                }
                else if (Peek() != ')')
                {
                    throw Error("expected ',' or ')' in the shape");
                }
            }
        }

        private string ParseString()
        {
            SkipSpaces();
            char quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw Error("expected a quoted string");
            }

            int end = _text.IndexOf(quote, _position + 1);
            if (end < 0)
            {
                throw Error("unterminated string");
            }

            string value = _text.Substring(_position + 1, end - _position - 1);
            _position = end + 1;
            return value;
        }

        private bool Match(string word)
        {
            if (string.CompareOrdinal(_text, _position, word, 0, word.Length) == 0)
            {
                _position += word.Length;
                return true;
            }

            return false;
        }

        private void Expect(char character)
        {
            SkipSpaces();
            if (Peek() != character)
            {
                throw Error($"expected '{character}'");
            }

            _position++;
        }

        private readonly char Peek() => _position < _text.Length ? _text[_position] : '\0';

        private void SkipSpaces()
        {
            while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
            {
                _position++;
            }
        }

        private readonly DatasetFormatException Error(string expected)
            => new(_path, $"malformed .npy header at character {_position}: {expected}; header was: {_text.Trim()}");
    }
}
