using Microsoft.Extensions.Options;
using Motor.Api.Configuration;
using Motor.Core.Bundles;
using Motor.Core.Features;
using Motor.Featurizers;

namespace Motor.Api.Items;

/// <summary>
/// Features of raw content for bundles whose manifest names featurizers: the text and image featurizers, loaded on first
/// use (a service whose bundles take vectors never loads the models), shared by all requests (their sessions are
/// thread-safe). Content is checked (<see cref="Check"/>) before any model runs, so a bad request costs no inference.
/// Images are decoded one at a time (about 0.6 MB of network input each), so memory does not grow with the batch size.
/// </summary>
public sealed class ContentFeaturizers : IDisposable
{
    private readonly ContentOptions _options;
    private readonly Lazy<TextFeaturizer> _text;
    private readonly Lazy<ImageFeaturizer> _image;

    public ContentFeaturizers(IOptions<MotorOptions> options)
    {
        _options = options.Value.Content;
        var featurizerOptions = new FeaturizerOptions { ModelDirectory = _options.ModelDirectory, IntraOpThreads = _options.Threads };
        var limits = new ImageLimits { MaxEncodedBytes = _options.MaxImageBytes, MaxSide = _options.MaxImageSide, MaxPixels = _options.MaxImagePixels };
        _text = new Lazy<TextFeaturizer>(() => new TextFeaturizer(featurizerOptions), LazyThreadSafetyMode.ExecutionAndPublication);
        _image = new Lazy<ImageFeaturizer>(() => new ImageFeaturizer(featurizerOptions, limits), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>A request's content after <see cref="Check"/>: the text and the encoded image (it decoded within the limits).</summary>
    public sealed record CheckedContent(string? Text, ReadOnlyMemory<byte>? Image);

    /// <summary>"text" and "image" as a sentence for messages: what a bundle accepts instead of vectors.</summary>
    public static string AcceptedInputs(IReadOnlyList<BundleModality> modalities)
        => string.Join(" and ", modalities.Select(modality => $"'{modality.Featurizer!.Input}' (for modality {modality.Name})"));

    /// <summary>Whether every modality of the bundle names a featurizer, so that raw content can replace the vectors.</summary>
    public static bool AcceptsContent(IReadOnlyList<BundleModality> modalities)
        => modalities.Count > 0 && modalities.All(modality => modality.Featurizer is not null);

    /// <summary>
    /// Validates one request's text and image against the bundle's featurizers and decodes the image (header dimensions
    /// first); adds one error per bad field to <paramref name="errors"/>. Null when the request is rejected.
    /// </summary>
    public CheckedContent? Check(ItemIngestionRequest request, string prefix, IReadOnlyList<BundleModality> modalities, string modelVersion, Dictionary<string, string[]> errors)
    {
        int errorCount = errors.Count;
        bool needsText = modalities.Any(modality => modality.Featurizer!.Input == FeaturizerInfo.TextModality);
        bool needsImage = modalities.Any(modality => modality.Featurizer!.Input == FeaturizerInfo.ImageModality);
        foreach (BundleModality modality in modalities.Where(modality => modality.Featurizer!.Input is not (FeaturizerInfo.TextModality or FeaturizerInfo.ImageModality)))
        {
            errors[$"{prefix}features"] = [$"model {modelVersion} computes modality {modality.Name} from '{modality.Featurizer!.Input}', which this service cannot featurize: send 'features' instead"];
        }

        string? text = null;
        if (needsText)
        {
            text = CheckText(request.Text, prefix, modalities, modelVersion, errors);
        }
        else if (request.Text is not null)
        {
            errors[$"{prefix}text"] = [$"model {modelVersion} has no text modality: it accepts {AcceptedInputs(modalities)}"];
        }

        ReadOnlyMemory<byte>? image = null;
        if (needsImage)
        {
            image = CheckImage(request.Image, prefix, modalities, modelVersion, errors);
        }
        else if (request.Image is not null)
        {
            errors[$"{prefix}image"] = [$"model {modelVersion} has no image modality: it accepts {AcceptedInputs(modalities)}"];
        }

        return errors.Count == errorCount ? new CheckedContent(text, image) : null;
    }

    /// <summary>Modality name -> raw feature vector for each checked request, computed in one call per featurizer.</summary>
    public List<Dictionary<string, float[]>> Featurize(IReadOnlyList<CheckedContent> contents, IReadOnlyList<BundleModality> modalities)
    {
        float[][]? textVectors = contents.Any(content => content.Text is not null) ? _text.Value.Embed([.. contents.Select(content => content.Text!)]) : null;
        // One image at a time: a batch holds its encoded images (bounded by the request size), never all decoded ones.
        float[][]? imageVectors = contents.Any(content => content.Image is not null)
            ? [.. contents.Select(content => _image.Value.Embed(content.Image!.Value))]
            : null;
        var features = new List<Dictionary<string, float[]>>(contents.Count);
        for (int index = 0; index < contents.Count; index++)
        {
            var item = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (BundleModality modality in modalities)
            {
                item[modality.Name] = modality.Featurizer!.Input == FeaturizerInfo.TextModality ? textVectors![index] : imageVectors![index];
            }

            features.Add(item);
        }

        return features;
    }

    private string? CheckText(string? text, string prefix, IReadOnlyList<BundleModality> modalities, string modelVersion, Dictionary<string, string[]> errors)
    {
        string field = $"{prefix}text";
        if (string.IsNullOrWhiteSpace(text))
        {
            errors[field] = [$"is required: model {modelVersion} computes its features from {AcceptedInputs(modalities)}"];
            return null;
        }

        if (text.Length > _options.MaxTextCharacters)
        {
            errors[field] = [$"has {text.Length} characters, at most {_options.MaxTextCharacters} are accepted"];
            return null;
        }

        return CheckFeaturizer(FeaturizerInfo.TextModality, field, modalities, () => _text.Value.Info, errors) ? text : null;
    }

    private ReadOnlyMemory<byte>? CheckImage(string? image, string prefix, IReadOnlyList<BundleModality> modalities, string modelVersion, Dictionary<string, string[]> errors)
    {
        string field = $"{prefix}image";
        if (string.IsNullOrEmpty(image))
        {
            errors[field] = [$"is required: model {modelVersion} computes its features from {AcceptedInputs(modalities)} (the image as base64)"];
            return null;
        }

        // Bound the text before decoding it: base64 takes 4 characters per 3 bytes.
        ReadOnlySpan<char> base64 = StripDataUrl(image);
        long maxCharacters = 4L * ((_options.MaxImageBytes + 2L) / 3);
        if (base64.Length > maxCharacters)
        {
            errors[field] = [$"is {base64.Length} base64 characters; images of at most {_options.MaxImageBytes} bytes ({maxCharacters} characters) are accepted"];
            return null;
        }

        byte[] bytes = new byte[(base64.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(base64, bytes, out int length))
        {
            errors[field] = ["is not valid base64"];
            return null;
        }

        if (!CheckFeaturizer(FeaturizerInfo.ImageModality, field, modalities, () => _image.Value.Info, errors))
        {
            return null;
        }

        try
        {
            // Decoded once here so that a bad image rejects the request before anything runs; the pixels are dropped.
            _image.Value.Prepare(bytes.AsSpan(0, length));
            return bytes.AsMemory(0, length);
        }
        catch (InvalidImageException exception)
        {
            errors[field] = [exception.Message];
            return null;
        }
    }

    /// <summary>The bundle's features must have been computed by the very model this service runs (same SHA-256).</summary>
    private static bool CheckFeaturizer(string input, string field, IReadOnlyList<BundleModality> modalities, Func<FeaturizerInfo> local, Dictionary<string, string[]> errors)
    {
        FeaturizerInfo info = local();
        foreach (BundleModality modality in modalities.Where(modality => modality.Featurizer!.Input == input))
        {
            FeaturizerReference expected = modality.Featurizer!;
            if (!string.Equals(expected.ModelSha256, info.ModelSha256, StringComparison.OrdinalIgnoreCase) || expected.Dimension != info.Dimension)
            {
                errors[field] = [$"the model's modality {modality.Name} was computed with {expected.Name} ({expected.Version}), which this service does not have (it runs {info.Name}, {info.Version}): send 'features' instead"];
                return false;
            }
        }

        return true;
    }

    /// <summary>Accepts "data:image/png;base64,..." as well as bare base64.</summary>
    private static ReadOnlySpan<char> StripDataUrl(string image)
    {
        ReadOnlySpan<char> span = image.AsSpan().Trim();
        if (span.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            int comma = span.IndexOf(',');
            if (comma > 0 && span[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                return span[(comma + 1)..];
            }
        }

        return span;
    }

    public void Dispose()
    {
        if (_text.IsValueCreated)
        {
            _text.Value.Dispose();
        }

        if (_image.IsValueCreated)
        {
            _image.Value.Dispose();
        }
    }
}
