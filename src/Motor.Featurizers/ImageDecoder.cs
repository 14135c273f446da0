using System.Runtime.InteropServices;
using SkiaSharp;

namespace Motor.Featurizers;

/// <summary>
/// Decodes an encoded image (JPEG, PNG, WebP, GIF, BMP) with SkiaSharp into the network's input: the shorter side scaled
/// to <paramref name="size"/>, the centre cropped to a square (as ML.NET's IsoCrop resizing, which the ResNet18 package
/// was made for), transparent pixels over white, then R, G and B planes of values 0-255.
/// </summary>
internal static class ImageDecoder
{
    public static float[] DecodeToPlanes(ReadOnlySpan<byte> encoded, int size, ImageLimits limits)
    {
        if (encoded.Length == 0)
        {
            throw new InvalidImageException("the image is empty");
        }

        if (encoded.Length > limits.MaxEncodedBytes)
        {
            throw new InvalidImageException($"the image has {encoded.Length} bytes, more than the {limits.MaxEncodedBytes} accepted");
        }

        using var stream = new MemoryStream(encoded.ToArray(), writable: false);
        using SKCodec? codec = SKCodec.Create(stream, out SKCodecResult createResult);
        if (codec is null)
        {
            throw new InvalidImageException(createResult == SKCodecResult.IncompleteInput
                ? "the data is not an image, or one truncated before the end of its header (JPEG, PNG, WebP, GIF, BMP are read)"
                : "the data is not an image in a supported format (JPEG, PNG, WebP, GIF, BMP)");
        }

        // Header dimensions only: nothing is decoded yet.
        int width = codec.Info.Width;
        int height = codec.Info.Height;
        if (width <= 0 || height <= 0)
        {
            throw new InvalidImageException("the image has no pixels");
        }

        if (width > limits.MaxSide || height > limits.MaxSide || (long)width * height > limits.MaxPixels)
        {
            throw new InvalidImageException($"the image is {width} x {height} pixels; at most {limits.MaxSide} per side and {limits.MaxPixels} pixels are accepted");
        }

        var decodedInfo = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var decoded = new SKBitmap(decodedInfo);
        SKCodecResult result = codec.GetPixels(decodedInfo, decoded.GetPixels());
        if (result is SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput)
        {
            throw new InvalidImageException("the image is truncated or damaged: its pixel data could not be decoded completely");
        }

        if (result != SKCodecResult.Success)
        {
            throw new InvalidImageException($"the image could not be decoded ({result})");
        }

        return ToPlanes(decoded, size);
    }

    private static float[] ToPlanes(SKBitmap decoded, int size)
    {
        float scale = (float)size / Math.Min(decoded.Width, decoded.Height);
        float scaledWidth = decoded.Width * scale;
        float scaledHeight = decoded.Height * scale;
        var destination = SKRect.Create((size - scaledWidth) / 2, (size - scaledHeight) / 2, scaledWidth, scaledHeight);

        var outputInfo = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var output = new SKBitmap(outputInfo);
        using (var canvas = new SKCanvas(output))
        using (SKImage image = SKImage.FromBitmap(decoded))
        {
            canvas.Clear(SKColors.White);
            canvas.DrawImage(image, destination, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint: null);
        }

        ReadOnlySpan<byte> pixels = MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetReference(output.GetPixelSpan()), size * size * 4);
        int plane = size * size;
        var planes = new float[3 * plane];
        for (int pixel = 0; pixel < plane; pixel++)
        {
            planes[pixel] = pixels[pixel * 4];
            planes[plane + pixel] = pixels[(pixel * 4) + 1];
            planes[(2 * plane) + pixel] = pixels[(pixel * 4) + 2];
        }

        return planes;
    }
}
