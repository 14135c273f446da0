using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Motor.Api.Storage;

/// <summary>
/// The embedded store's append-only file, record by record: int32 payload length, the first 8 bytes of
/// SHA-256(payload), the payload (UTF-8 JSON), little-endian. Shared by the replay at start (which cuts damaged tails)
/// and <see cref="StoreRepair"/> (which repairs damage inside the file), so both read the format the same way.
/// </summary>
public static class StoreLogFile
{
    public const int HeaderBytes = sizeof(int) + ChecksumBytes;
    public const int ChecksumBytes = 8;
    public const int MaxRecordBytes = 256 * 1024 * 1024;

    /// <summary>The record at <paramref name="offset"/>, or null with the reason it is not a valid record.</summary>
    public static byte[]? TryRead(FileStream file, long offset, out string? problem)
    {
        long length = file.Length;
        if (length - offset < HeaderBytes)
        {
            problem = $"an incomplete record header ({length - offset} bytes)";
            return null;
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        file.Position = offset;
        file.ReadExactly(header);
        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (payloadLength <= 0 || payloadLength > MaxRecordBytes)
        {
            problem = $"a record length of {payloadLength}";
            return null;
        }

        if (offset + HeaderBytes + payloadLength > length)
        {
            problem = $"a record of {payloadLength} bytes with only {length - offset - HeaderBytes} present";
            return null;
        }

        byte[] payload = new byte[payloadLength];
        file.ReadExactly(payload);
        if (!Matches(payload, header[sizeof(int)..]))
        {
            problem = "a record whose checksum does not match";
            return null;
        }

        problem = null;
        return payload;
    }

    /// <summary>
    /// The first offset after <paramref name="from"/> where a valid record starts, or -1: tells a damaged tail (nothing
    /// valid follows, safe to cut) from damage inside the file (acknowledged records follow). Checks each byte offset,
    /// cheaply (a plausible length first, the checksum only then).
    /// </summary>
    public static long FindNextValid(FileStream file, long from)
    {
        long length = file.Length;
        const int window = 1 << 20;
        byte[] buffer = new byte[window + HeaderBytes];
        for (long start = from + 1; start <= length - HeaderBytes - 1; start += window)
        {
            file.Position = start;
            int read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, length - start));
            for (int index = 0; index + HeaderBytes <= read && start + index <= length - HeaderBytes - 1; index++)
            {
                int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(index));
                long candidate = start + index;
                if (payloadLength > 0 && payloadLength <= MaxRecordBytes && candidate + HeaderBytes + payloadLength <= length
                    && TryRead(file, candidate, out _) is not null)
                {
                    return candidate;
                }
            }
        }

        return -1;
    }

    /// <summary>Header and payload of one record, ready to append.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        byte[] record = new byte[HeaderBytes + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(record, payload.Length);
        SHA256.HashData(payload).AsSpan(0, ChecksumBytes).CopyTo(record.AsSpan(sizeof(int)));
        payload.CopyTo(record.AsSpan(HeaderBytes));
        return record;
    }

    /// <summary>
    /// A damaged span that should hold exactly one record (it lies between valid records): the record it held if one
    /// flipped bit explains the damage (in the length, the checksum or the payload), else null.
    /// </summary>
    public static byte[]? TryRecoverSingleBitFlip(ReadOnlySpan<byte> span)
    {
        if (span.Length <= HeaderBytes)
        {
            return null;
        }

        int payloadLength = span.Length - HeaderBytes;
        byte[] checksum = span.Slice(sizeof(int), ChecksumBytes).ToArray();
        byte[] payload = span[HeaderBytes..].ToArray();

        // A flip in the length field: the span's own size says what the length was; the rest must then be intact.
        if (Matches(payload, checksum))
        {
            return payload;
        }

        // A flip in the checksum: the payload hashes to the stored checksum but for one bit.
        byte[] actual = SHA256.HashData(payload).AsSpan(0, ChecksumBytes).ToArray();
        int differingBits = 0;
        for (int index = 0; index < ChecksumBytes; index++)
        {
            differingBits += System.Numerics.BitOperations.PopCount((uint)(actual[index] ^ checksum[index]));
        }

        if (differingBits == 1 && BinaryPrimitives.ReadInt32LittleEndian(span) == payloadLength)
        {
            return payload;
        }

        // A flip in the payload (only with an intact length, so that one flip explains everything).
        if (BinaryPrimitives.ReadInt32LittleEndian(span) != payloadLength)
        {
            return null;
        }

        for (int index = 0; index < payload.Length; index++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                payload[index] ^= (byte)(1 << bit);
                if (Matches(payload, checksum))
                {
                    return payload;
                }

                payload[index] ^= (byte)(1 << bit);
            }
        }

        return null;
    }

    private static bool Matches(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> checksum)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        return hash[..ChecksumBytes].SequenceEqual(checksum);
    }
}
