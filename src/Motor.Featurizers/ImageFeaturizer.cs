using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Motor.Featurizers;

/// <summary>
/// Image features with the ResNet18 that Microsoft.ML.DnnImageFeaturizer.ResNet18 ships: 224 x 224 RGB input normalised by
/// the package's own ResNetPreprocess.onnx (it subtracts the per-pixel mean image the network was trained with, so the
/// package's graph is run rather than per-channel ImageNet constants), then the 512 values of the global average pooling
/// before the classifier (the penultimate layer). Thread-safe: the sessions are shared by all callers.
/// </summary>
public sealed class ImageFeaturizer : IDisposable
{
    public const int Dimension = 512;

    public const int InputSize = 224;

    private const string PreprocessInput = "OriginalInput";
    private const string NetworkInput = "Input247";
    private const string PoolingOutput = "Pooling395_Output_0";

    private readonly InferenceSession _preprocess;
    private readonly InferenceSession _network;
    private readonly ImageLimits _limits;

    public ImageFeaturizer(FeaturizerOptions? options = null, ImageLimits? limits = null)
    {
        options ??= new FeaturizerOptions();
        _limits = limits ?? new ImageLimits();
        byte[] network = FeaturizerModels.ReadFile(options.ResolvedDirectory, FeaturizerModels.ResNet18FileName, "image featurizer model");
        byte[] preprocess = FeaturizerModels.ReadFile(options.ResolvedDirectory, FeaturizerModels.ResNetPreprocessFileName, "image featurizer preprocessing");
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = options.IntraOpThreads };
        _network = new InferenceSession(network, sessionOptions);
        _preprocess = new InferenceSession(preprocess, sessionOptions);
        Info = new FeaturizerInfo(FeaturizerInfo.ImageModality, "resnet18", "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1", Dimension, FeaturizerModels.Sha256Of(network));
    }

    public FeaturizerInfo Info { get; }

    public ImageLimits Limits => _limits;

    /// <summary>One 512-d vector per encoded image.</summary>
    /// <exception cref="InvalidImageException">An image is not decodable or exceeds <see cref="Limits"/>; the message names its index.</exception>
    public float[][] Embed(IReadOnlyList<ReadOnlyMemory<byte>> images)
    {
        ArgumentNullException.ThrowIfNull(images);

        // Decode everything first, so a bad image fails the batch before any network time is spent.
        var prepared = new PreparedImage[images.Count];
        for (int index = 0; index < images.Count; index++)
        {
            try
            {
                prepared[index] = Prepare(images[index].Span);
            }
            catch (InvalidImageException exception) when (images.Count > 1)
            {
                throw new InvalidImageException($"image {index}: {exception.Message}");
            }
        }

        return Embed(prepared);
    }

    public float[] Embed(ReadOnlyMemory<byte> image) => Embed([image])[0];

    /// <summary>Decodes and resizes an encoded image within <see cref="Limits"/>: the step that can refuse an image.</summary>
    /// <exception cref="InvalidImageException">Not an image, damaged, or larger than the limits.</exception>
    public PreparedImage Prepare(ReadOnlySpan<byte> encoded) => new(ImageDecoder.DecodeToPlanes(encoded, InputSize, _limits));

    /// <summary>One 512-d vector per prepared image.</summary>
    public float[][] Embed(IReadOnlyList<PreparedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);

        // The packaged network has a fixed batch size of 1: one call per image.
        var vectors = new float[images.Count][];
        for (int index = 0; index < images.Count; index++)
        {
            vectors[index] = Run(images[index].Planes);
        }

        return vectors;
    }

    private float[] Run(float[] planes)
    {
        var input = new DenseTensor<float>(planes, [1, 3, InputSize, InputSize]);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> normalised = _preprocess.Run([NamedOnnxValue.CreateFromTensor(PreprocessInput, input)]);
        Tensor<float> normalisedTensor = normalised[0].AsTensor<float>();
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> pooled = _network.Run([NamedOnnxValue.CreateFromTensor(NetworkInput, normalisedTensor)], [PoolingOutput]);
        Tensor<float> output = pooled[0].AsTensor<float>();
        return (output as DenseTensor<float> ?? output.ToDenseTensor()).Buffer.ToArray();
    }

    public void Dispose()
    {
        _network.Dispose();
        _preprocess.Dispose();
    }
}

/// <summary>A decoded image at the network's input size (R, G, B planes), ready for <see cref="ImageFeaturizer.Embed(IReadOnlyList{PreparedImage})"/>.</summary>
public sealed class PreparedImage
{
    internal PreparedImage(float[] planes) => Planes = planes;

    internal float[] Planes { get; }
}
