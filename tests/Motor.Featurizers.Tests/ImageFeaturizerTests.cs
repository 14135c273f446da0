using Motor.Testing;
using SkiaSharp;

namespace Motor.Featurizers.Tests;

public sealed class ImageFeaturizerTests(FeaturizerFixture fixture) : IClassFixture<FeaturizerFixture>
{
    private static readonly byte[] s_redPng = TestImages.Encode(120, 180, SKColors.DarkRed, SKColors.Yellow);
    private static readonly byte[] s_blueJpeg = TestImages.Encode(300, 450, SKColors.Navy, SKColors.White, SKEncodedImageFormat.Jpeg);

    [Fact]
    public void Png_and_jpeg_give_512_finite_values_that_differ_between_images()
    {
        float[][] vectors = fixture.Image.Embed([s_redPng, s_blueJpeg]);

        Assert.All(vectors, vector =>
        {
            Assert.Equal(ImageFeaturizer.Dimension, vector.Length);
            Assert.All(vector, value => Assert.True(float.IsFinite(value) && value >= 0, "pooled ReLU outputs are finite and non-negative"));
            Assert.Contains(vector, value => value > 0);
        });
        Assert.NotEqual(vectors[0], vectors[1]);
    }

    [Fact]
    public void Same_image_gives_the_same_vector_in_a_batch_and_from_threads()
    {
        float[] alone = fixture.Image.Embed(s_blueJpeg);
        float[][] batch = fixture.Image.Embed([s_redPng, s_blueJpeg]);
        float[][] parallel = new float[3][];
        Parallel.For(0, parallel.Length, index => parallel[index] = fixture.Image.Embed(s_blueJpeg));

        Assert.Equal(alone, batch[1]);
        Assert.All(parallel, vector => Assert.Equal(alone, vector));
    }

    [Fact]
    public void Truncated_image_is_refused()
    {
        byte[] truncated = s_blueJpeg[..(s_blueJpeg.Length / 2)];

        InvalidImageException exception = Assert.Throws<InvalidImageException>(() => fixture.Image.Embed(truncated));
        Assert.Contains("truncated", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_that_is_not_an_image_is_refused()
    {
        byte[] text = "this is not an image at all, just some text bytes"u8.ToArray();

        InvalidImageException exception = Assert.Throws<InvalidImageException>(() => fixture.Image.Embed(text));
        Assert.Contains("not an image", exception.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidImageException>(() => fixture.Image.Embed(Array.Empty<byte>()));
    }

    [Fact]
    public void Huge_declared_dimensions_are_refused_from_the_header_without_decoding()
    {
        // 60000 x 60000 x 4 bytes would be 13 GiB: refused before any pixel buffer is allocated.
        byte[] bomb = TestImages.PngDeclaring(60_000, 60_000);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        InvalidImageException exception = Assert.Throws<InvalidImageException>(() => fixture.Image.Prepare(bomb));

        Assert.Contains("60000 x 60000", exception.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 1_000_000, "nothing image-sized was allocated");
    }

    [Fact]
    public void Limits_bound_the_encoded_size_the_sides_and_the_pixel_count()
    {
        var limits = new ImageLimits { MaxEncodedBytes = 100_000, MaxSide = 200, MaxPixels = 150 * 150 };
        byte[] wide = TestImages.Encode(250, 10, SKColors.Gray, SKColors.Black);
        byte[] square = TestImages.Encode(160, 160, SKColors.Gray, SKColors.Black);
        byte[] fits = TestImages.Encode(150, 150, SKColors.Gray, SKColors.Black);

        Assert.Contains("more than the 100 accepted", Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeToPlanes(fits, 224, limits with { MaxEncodedBytes = 100 })).Message, StringComparison.Ordinal);
        Assert.Contains("250 x 10", Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeToPlanes(wide, 224, limits)).Message, StringComparison.Ordinal);
        Assert.Contains("160 x 160", Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeToPlanes(square, 224, limits)).Message, StringComparison.Ordinal);
        Assert.Equal(3 * 224 * 224, ImageDecoder.DecodeToPlanes(fits, 224, limits).Length);
    }

    [Fact]
    public void A_bad_image_in_a_batch_is_named_by_its_index()
    {
        InvalidImageException exception = Assert.Throws<InvalidImageException>(() => fixture.Image.Embed([s_redPng, new byte[] { 1, 2, 3 }]));

        Assert.StartsWith("image 1:", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_names_the_model_and_its_checksum()
    {
        FeaturizerInfo info = fixture.Image.Info;

        Assert.Equal(FeaturizerInfo.ImageModality, info.Modality);
        Assert.Equal("resnet18", info.Name);
        Assert.Equal(512, info.Dimension);
        byte[] model = File.ReadAllBytes(Path.Combine(FeaturizerModels.DefaultDirectory, FeaturizerModels.ResNet18FileName));
        Assert.Equal(FeaturizerModels.Sha256Of(model), info.ModelSha256);
    }
}
