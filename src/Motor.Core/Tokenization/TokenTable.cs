using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Motor.Core.Tokenization;

/// <summary>
/// Every item's token IDs: ItemCount x TokensPerItem codes, modality-major (modality 0's M codes, then modality 1's, ...).
/// Stored one byte per token when K &lt;= 256, else two bytes.
/// </summary>
public sealed class TokenTable
{
    /// <summary>Largest K: codes must fit in an unsigned 16-bit value.</summary>
    public const int MaxCentroidCount = 65536;

    private const uint FormatVersion = 1;
    private const int HeaderLength = 20;
    private static ReadOnlySpan<byte> Magic => "MTOK"u8;

    private readonly byte[]? _bytes;
    private readonly ushort[]? _shorts;

    public TokenTable(int itemCount, int tokensPerItem, int centroidCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(itemCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokensPerItem);
        if (centroidCount is < 1 or > MaxCentroidCount)
        {
            throw new ArgumentOutOfRangeException(nameof(centroidCount), centroidCount, $"K must be in [1, {MaxCentroidCount}]");
        }

        long length = (long)itemCount * tokensPerItem;
        if (length > Array.MaxLength)
        {
            throw new ArgumentException($"{itemCount} items x {tokensPerItem} tokens do not fit in one array", nameof(itemCount));
        }

        ItemCount = itemCount;
        TokensPerItem = tokensPerItem;
        CentroidCount = centroidCount;
        if (centroidCount <= 256)
        {
            _bytes = new byte[length];
        }
        else
        {
            _shorts = new ushort[length];
        }
    }

    public int ItemCount { get; }

    public int TokensPerItem { get; }

    public int CentroidCount { get; }

    /// <summary>Bytes per token in storage: 1 when K &lt;= 256, else 2.</summary>
    public int BytesPerToken => CentroidCount <= 256 ? 1 : 2;

    /// <summary>Bytes the codes take (without the header).</summary>
    public long StorageBytes => (long)ItemCount * TokensPerItem * BytesPerToken;

    public int this[int item, int token]
    {
        get
        {
            int index = IndexOf(item, token);
            return _bytes is not null ? _bytes[index] : _shorts![index];
        }

        set
        {
            int index = IndexOf(item, token);
            if ((uint)value >= (uint)CentroidCount)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"token of item {item}, position {token} must be in [0, {CentroidCount})");
            }

            if (_bytes is not null)
            {
                _bytes[index] = (byte)value;
            }
            else
            {
                _shorts![index] = (ushort)value;
            }
        }
    }

    /// <summary>Copies one item's codes (TokensPerItem values) into <paramref name="destination"/>.</summary>
    public void CopyItem(int item, Span<long> destination)
    {
        int start = IndexOf(item, 0);
        if (destination.Length < TokensPerItem)
        {
            throw new ArgumentException($"destination holds {destination.Length} values, an item has {TokensPerItem} tokens", nameof(destination));
        }

        for (int token = 0; token < TokensPerItem; token++)
        {
            destination[token] = _bytes is not null ? _bytes[start + token] : _shorts![start + token];
        }
    }

    /// <summary>Sets <paramref name="codes"/>.Length tokens of one item starting at position <paramref name="firstToken"/> (e.g. one modality's M codes).</summary>
    public void SetItem(int item, int firstToken, ReadOnlySpan<ushort> codes)
    {
        if (firstToken < 0 || firstToken + codes.Length > TokensPerItem)
        {
            throw new ArgumentOutOfRangeException(nameof(firstToken), $"tokens {firstToken}..{firstToken + codes.Length - 1} are outside the {TokensPerItem} tokens of an item");
        }

        for (int i = 0; i < codes.Length; i++)
        {
            this[item, firstToken + i] = codes[i];
        }
    }

    /// <summary>
    /// Writes the table: a 20-byte little-endian header (magic "MTOK", format version 1, items, tokens per item, K as 32-bit
    /// integers), then the codes row by row, one byte each when K &lt;= 256, else two bytes little-endian.
    /// </summary>
    public void Write(Stream stream)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], ItemCount);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], TokensPerItem);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], CentroidCount);
        stream.Write(header);
        if (_bytes is not null)
        {
            stream.Write(_bytes);
        }
        else
        {
            stream.Write(MemoryMarshal.AsBytes(_shorts.AsSpan()));
        }
    }

    /// <summary>Reads a table written by <see cref="Write"/>; throws <see cref="InvalidDataException"/> naming <paramref name="sourceName"/>.</summary>
    public static TokenTable Read(Stream stream, string sourceName)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        int headerRead = stream.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false);
        if (headerRead < HeaderLength)
        {
            throw new InvalidDataException($"{sourceName}: truncated token table: {headerRead} bytes, the header alone needs {HeaderLength}");
        }

        if (!header[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{sourceName}: not a token table: expected the magic bytes 'MTOK' at the start");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"{sourceName}: unsupported token table format version {version}, expected {FormatVersion}");
        }

        int itemCount = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        int tokensPerItem = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        int centroidCount = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        if (itemCount < 0 || tokensPerItem <= 0 || centroidCount is < 1 or > MaxCentroidCount || (long)itemCount * tokensPerItem > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{sourceName}: invalid token table header: {itemCount} items, {tokensPerItem} tokens per item, K {centroidCount} (expected items >= 0, tokens > 0, 1 <= K <= {MaxCentroidCount})");
        }

        TokenTable table = new(itemCount, tokensPerItem, centroidCount);
        Span<byte> data = table._bytes is not null ? table._bytes : MemoryMarshal.AsBytes(table._shorts.AsSpan());
        int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < data.Length)
        {
            throw new InvalidDataException(
                $"{sourceName}: truncated token table: {itemCount} items x {tokensPerItem} tokens x {table.BytesPerToken} bytes need {data.Length} data bytes, found {read}");
        }

        if (!BitConverter.IsLittleEndian && table._shorts is not null)
        {
            BinaryPrimitives.ReverseEndianness(table._shorts, table._shorts);
        }

        int invalid = table._bytes is not null ? FirstAtLeast(table._bytes, centroidCount) : FirstAtLeast(table._shorts!, centroidCount);
        if (invalid >= 0)
        {
            throw new InvalidDataException(
                $"{sourceName}: token {table[invalid / tokensPerItem, invalid % tokensPerItem]} of item {invalid / tokensPerItem}, position {invalid % tokensPerItem} is not below K = {centroidCount}");
        }

        return table;
    }

    private static int FirstAtLeast(byte[] codes, int limit)
    {
        if (limit > byte.MaxValue)
        {
            return -1;
        }

        return codes.AsSpan().IndexOfAnyInRange((byte)limit, byte.MaxValue);
    }

    private static int FirstAtLeast(ushort[] codes, int limit)
    {
        if (limit > ushort.MaxValue)
        {
            return -1;
        }

        return codes.AsSpan().IndexOfAnyInRange((ushort)limit, ushort.MaxValue);
    }

    private int IndexOf(int item, int token)
    {
        if ((uint)item >= (uint)ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(item), item, $"item must be in [0, {ItemCount})");
        }

        if ((uint)token >= (uint)TokensPerItem)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token position must be in [0, {TokensPerItem})");
        }

        return (item * TokensPerItem) + token;
    }
}
