namespace Motor.Featurizers;

/// <summary>
/// Bounds on an image accepted for decoding. They are checked on the encoded size and on the dimensions in the image's
/// header, before any pixel is decoded, so that a small file declaring a huge image (a decompression bomb) costs nothing.
/// </summary>
public sealed record ImageLimits
{
    /// <summary>Largest encoded image, in bytes.</summary>
    public int MaxEncodedBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Largest width or height, in pixels.</summary>
    public int MaxSide { get; init; } = 8192;

    /// <summary>Largest width x height: decoding takes 4 bytes per pixel (16.8 M pixels = 64 MiB).</summary>
    public long MaxPixels { get; init; } = 4096L * 4096;
}
