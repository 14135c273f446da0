using System.Buffers.Binary;
using SkiaSharp;

namespace Motor.Testing;

/// <summary>Small images made in the test (SkiaSharp), and crafted broken ones, for the featurizer and API tests.</summary>
internal static class TestImages
{
    /// <summary>A <paramref name="width"/> x <paramref name="height"/> picture: a coloured background, a circle and a bar.</summary>
    public static byte[] Encode(int width, int height, SKColor background, SKColor shape, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 90)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = shape, IsAntialias = true })
        {
            canvas.Clear(background);
            canvas.DrawCircle(width / 2f, height / 3f, Math.Min(width, height) / 4f, paint);
            canvas.DrawRect(width / 6f, height * 0.7f, width * 2 / 3f, height / 10f, paint);
        }

        using SKData data = bitmap.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>
    /// A PNG whose header declares <paramref name="width"/> x <paramref name="height"/> pixels (with a valid checksum) but
    /// whose data is a few bytes: a decompression bomb's shape, which must be refused from the header alone.
    /// </summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        byte[] png = Encode(4, 4, SKColors.White, SKColors.Black);

        // Signature (8 bytes), then the IHDR chunk: length (4), type (4), width (4), height (4), ..., CRC over type + data.
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16, 4), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20, 4), height);
        int dataLength = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(8, 4));
        uint crc = Crc32(png.AsSpan(12, 4 + dataLength));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16 + dataLength, 4), crc);
        return png;
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320).</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte value in bytes)
        {
            crc ^= value;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
