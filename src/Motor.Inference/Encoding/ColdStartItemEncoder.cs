using Motor.Core.Bundles;

namespace Motor.Inference.Encoding;

/// <summary>The tokens and serving vectors of new items, from their raw features.</summary>
public sealed record EncodedItems(int Count, int TokensPerItem, long[] Tokens, int VectorSize, float[] Vectors);

/// <summary>
/// Raw features -> tokens (bundle codebooks) -> serving vectors (ONNX encoder): what the API does for a cold-start item.
/// Thread-safe; the session is owned by the caller (share one per bundle).
/// </summary>
public sealed class ColdStartItemEncoder
{
    private readonly ItemFeatureTokenizer _tokenizer;
    private readonly ItemEncoderSession _session;

    public ColdStartItemEncoder(ModelBundle bundle, ItemEncoderSession session)
    {
        _tokenizer = new ItemFeatureTokenizer(bundle);
        _session = session;
        if (session.TokensPerItem != _tokenizer.TokensPerItem || (session.FeatureSize != 0 && session.FeatureSize != _tokenizer.FeatureSize))
        {
            throw new BundleException(session.ModelPath,
                $"encoder takes {session.TokensPerItem} tokens and {session.FeatureSize} features, the codebooks give {_tokenizer.TokensPerItem} tokens and {_tokenizer.FeatureSize} features");
        }
    }

    public ItemFeatureTokenizer Tokenizer => _tokenizer;

    /// <summary><paramref name="rawFeatures"/>[m]: count x d_m raw values of modality m, in manifest order.</summary>
    public EncodedItems Encode(IReadOnlyList<float[]> rawFeatures, int count)
    {
        float[] features = _session.FeatureSize > 0 ? new float[count * _session.FeatureSize] : [];
        long[] tokens = _tokenizer.Tokenize(rawFeatures, count, features);
        float[] vectors = _session.Encode(tokens, features, count);
        return new EncodedItems(count, _tokenizer.TokensPerItem, tokens, _session.VectorSize, vectors);
    }
}
