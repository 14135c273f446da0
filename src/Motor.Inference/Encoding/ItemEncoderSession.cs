using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Motor.Core.Bundles;

namespace Motor.Inference.Encoding;

/// <summary>
/// The bundle's item_encoder.onnx in one shared ONNX Runtime session: token IDs (int64 [N, T]) and, for encoders that
/// also take features (VBPR), preprocessed features (float [N, F]) -> serving item vectors (float [N, VectorSize]).
/// <see cref="Encode"/> is thread-safe (ONNX Runtime's Run is); call <see cref="WarmUp"/> before reporting ready, since
/// the first run is slow.
/// </summary>
public sealed class ItemEncoderSession : IDisposable
{
    public const string TokensInput = "tokens";
    public const string FeaturesInput = "features";
    public const string VectorsOutput = "item_vectors";

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames = [VectorsOutput];

    private ItemEncoderSession(InferenceSession session, string path, string[] inputNames, int tokensPerItem, int featureSize, int vectorSize, string provider)
    {
        _session = session;
        _inputNames = inputNames;
        ModelPath = path;
        TokensPerItem = tokensPerItem;
        FeatureSize = featureSize;
        VectorSize = vectorSize;
        ExecutionProvider = provider;
    }

    public string ModelPath { get; }

    /// <summary>T: tokens per item.</summary>
    public int TokensPerItem { get; }

    /// <summary>F: preprocessed feature values per item the encoder takes; 0 when it takes tokens only.</summary>
    public int FeatureSize { get; }

    public int VectorSize { get; }

    /// <summary>"CUDA" or "CPU": where the session actually runs.</summary>
    public string ExecutionProvider { get; }

    /// <summary>Opens the encoder of a loaded (verified) MOTOR bundle and checks its inputs and output against the manifest.</summary>
    /// <exception cref="BundleException">An ID bundle (no encoder) or an encoder whose signature does not match.</exception>
    public static ItemEncoderSession Open(ModelBundle bundle, ExecutionProviderPreference preference = ExecutionProviderPreference.Auto, ILogger? logger = null)
    {
        if (bundle.ItemEncoderPath is null)
        {
            throw new BundleException(Path.Combine(bundle.DirectoryPath, BundleFileNames.Manifest),
                $"item representation '{bundle.Manifest.ItemRepresentation}' has no item encoder: items can only come from the catalog (no cold-start encoding)");
        }

        int tokensPerItem = bundle.ItemTokens?.TokensPerItem ?? 0;
        return Open(bundle.ItemEncoderPath, bundle.Manifest.EncoderInputs, tokensPerItem, bundle.VectorSize, preference, logger);
    }

    /// <summary>Opens an encoder file and checks its signature: <paramref name="inputs"/> in order, T and the vector size.</summary>
    public static ItemEncoderSession Open(string path, IReadOnlyList<string> inputs, int tokensPerItem, int vectorSize, ExecutionProviderPreference preference = ExecutionProviderPreference.Auto, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        if (inputs.Count == 0 || inputs[0] != TokensInput || inputs.Skip(1).Any(input => input != FeaturesInput) || inputs.Count > 2)
        {
            throw new BundleException(path, $"encoder inputs [{string.Join(", ", inputs)}] are not [tokens] or [tokens, features]");
        }

        (InferenceSession session, string provider) = CreateSession(path, preference, logger);
        try
        {
            int featureSize = CheckSignature(session, path, inputs, tokensPerItem, vectorSize);
            return new ItemEncoderSession(session, path, [.. inputs], tokensPerItem, featureSize, vectorSize, provider);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Encodes <paramref name="count"/> items: <paramref name="tokens"/> is count x T (row-major), <paramref name="features"/>
    /// count x F or empty when F = 0; writes count x VectorSize values to <paramref name="vectors"/>.
    /// </summary>
    public void Encode(ReadOnlySpan<long> tokens, ReadOnlySpan<float> features, int count, Span<float> vectors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (tokens.Length != (long)count * TokensPerItem)
        {
            throw new ArgumentException($"{tokens.Length} token IDs for {count} items of {TokensPerItem} tokens", nameof(tokens));
        }

        if (features.Length != (long)count * FeatureSize)
        {
            throw new ArgumentException($"{features.Length} feature values for {count} items of {FeatureSize} values", nameof(features));
        }

        if (vectors.Length < (long)count * VectorSize)
        {
            throw new ArgumentException($"room for {vectors.Length} values, {count * VectorSize} needed", nameof(vectors));
        }

        if (count == 0)
        {
            return;
        }

        var inputValues = new List<OrtValue>(2);
        try
        {
            inputValues.Add(OrtValue.CreateTensorValueFromMemory(tokens.ToArray(), [count, TokensPerItem]));
            if (FeatureSize > 0)
            {
                inputValues.Add(OrtValue.CreateTensorValueFromMemory(features.ToArray(), [count, FeatureSize]));
            }

            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(runOptions, _inputNames, inputValues, _outputNames);
            ReadOnlySpan<float> result = outputs[0].GetTensorDataAsSpan<float>();
            if (result.Length != count * VectorSize)
            {
                throw new InvalidOperationException($"{ModelPath}: the encoder returned {result.Length} values for {count} items of size {VectorSize}");
            }

            result.CopyTo(vectors);
        }
        finally
        {
            foreach (OrtValue value in inputValues)
            {
                value.Dispose();
            }
        }
    }

    /// <summary>Convenience overload returning a new count x VectorSize array.</summary>
    public float[] Encode(ReadOnlySpan<long> tokens, ReadOnlySpan<float> features, int count)
    {
        float[] vectors = new float[count * VectorSize];
        Encode(tokens, features, count, vectors);
        return vectors;
    }

    /// <summary>Runs the encoder once on a small batch of token 0 (always a valid token ID) so the first request is not slow.</summary>
    public void WarmUp(int batchSize = 8)
    {
        Encode(new long[batchSize * TokensPerItem], new float[batchSize * FeatureSize], batchSize);
    }

    public void Dispose() => _session.Dispose();

    private static (InferenceSession Session, string Provider) CreateSession(string path, ExecutionProviderPreference preference, ILogger logger)
    {
        if (preference != ExecutionProviderPreference.Cpu)
        {
            var cudaOptions = new SessionOptions();
            try
            {
                // Throws where this build has no CUDA provider or the machine has no usable CUDA 13 runtime;
                // GetAvailableProviders() cannot tell, it lists CUDA in GPU builds even without a GPU.
                cudaOptions.AppendExecutionProvider_CUDA(0);
                return (new InferenceSession(path, cudaOptions), "CUDA");
            }
            catch (Exception exception) when (exception is OnnxRuntimeException or EntryPointNotFoundException)
            {
                // The CPU-only native library has no CUDA entry point at all: EntryPointNotFoundException, not OnnxRuntimeException.
                cudaOptions.Dispose();
                if (preference == ExecutionProviderPreference.Cuda)
                {
                    throw new InvalidOperationException(
                        $"ONNX Runtime cannot use CUDA ({FirstLine(exception.Message)}); build with -p:MotorGpu=true on a machine with CUDA 13, or choose the cpu execution provider",
                        exception);
                }

                logger.LogInformation("ONNX Runtime: CUDA is not available ({Reason}); the item encoder runs on the CPU", FirstLine(exception.Message));
            }
            catch
            {
                cudaOptions.Dispose();
                throw;
            }
        }

        using var cpuOptions = new SessionOptions();
        try
        {
            return (new InferenceSession(path, cpuOptions), "CPU");
        }
        catch (OnnxRuntimeException exception)
        {
            throw new BundleException(path, $"ONNX Runtime cannot load the model: {FirstLine(exception.Message)}", exception);
        }
    }

    private static int CheckSignature(InferenceSession session, string path, IReadOnlyList<string> inputs, int tokensPerItem, int vectorSize)
    {
        string[] actualInputs = [.. session.InputNames];
        if (!actualInputs.SequenceEqual(inputs))
        {
            throw new BundleException(path, $"inputs [{string.Join(", ", actualInputs)}] do not match the manifest's encoderInputs [{string.Join(", ", inputs)}]");
        }

        NodeMetadata tokens = session.InputMetadata[TokensInput];
        if (tokens.ElementDataType != TensorElementType.Int64 || tokens.Dimensions.Length != 2 || tokens.Dimensions[1] != tokensPerItem)
        {
            throw new BundleException(path, $"input 'tokens' is {Describe(tokens)}, expected int64 [N, {tokensPerItem}]");
        }

        int featureSize = 0;
        if (inputs.Count == 2)
        {
            NodeMetadata features = session.InputMetadata[FeaturesInput];
            if (features.ElementDataType != TensorElementType.Float || features.Dimensions.Length != 2 || features.Dimensions[1] <= 0)
            {
                throw new BundleException(path, $"input 'features' is {Describe(features)}, expected float [N, F]");
            }

            featureSize = features.Dimensions[1];
        }

        if (!session.OutputMetadata.TryGetValue(VectorsOutput, out NodeMetadata? output)
            || output.ElementDataType != TensorElementType.Float || output.Dimensions.Length != 2 || output.Dimensions[1] != vectorSize)
        {
            string found = output is null ? "missing" : Describe(output);
            throw new BundleException(path, $"output '{VectorsOutput}' is {found}, expected float [N, {vectorSize}] (manifest vectorSize)");
        }

        return featureSize;
    }

    private static string Describe(NodeMetadata metadata)
        => $"{metadata.ElementDataType.ToString().ToLowerInvariant()} [{string.Join(", ", metadata.Dimensions.Select(dimension => dimension < 0 ? "N" : dimension.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";

    private static string FirstLine(string text)
    {
        int end = text.IndexOfAny(['\r', '\n']);
        return (end < 0 ? text : text[..end]).Trim();
    }
}
