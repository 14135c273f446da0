using Motor.Core.Bundles;
using Motor.Core.Tokenization;

namespace Motor.Inference.Encoding;

/// <summary>
/// Raw feature vectors of new items -> the bundle's token IDs: each modality is preprocessed as the manifest says
/// (mean-centre with the stored mean, L2-normalise) and quantized with the bundle's codebook, exactly as the trainer
/// tokenized the catalog. Thread-safe (no mutable state).
/// </summary>
public sealed class ItemFeatureTokenizer
{
    private readonly ModelBundle _bundle;
    private readonly BundleEncoderFeatures _encoderFeatures;

    public ItemFeatureTokenizer(ModelBundle bundle)
    {
        if (bundle.Codebooks.Count == 0 || bundle.Codebooks.Count != bundle.Manifest.Modalities.Count)
        {
            throw new BundleException(Path.Combine(bundle.DirectoryPath, BundleFileNames.Manifest),
                $"item representation '{bundle.Manifest.ItemRepresentation}' has no codebooks: new items cannot be tokenized");
        }

        _bundle = bundle;
        _encoderFeatures = bundle.Manifest.EncoderFeatures ?? new BundleEncoderFeatures(L2Normalize: true);
        TokensPerItem = bundle.Codebooks.Sum(codebook => codebook.SubspaceCount);
        FeatureSize = bundle.Manifest.Modalities.Sum(modality => modality.Dimension);
    }

    /// <summary>Manifest order; raw features are given in this order.</summary>
    public IReadOnlyList<BundleModality> Modalities => _bundle.Manifest.Modalities;

    public int TokensPerItem { get; }

    /// <summary>Sum of the modality dimensions: the size of one item's preprocessed, concatenated features.</summary>
    public int FeatureSize { get; }

    /// <summary>
    /// Tokenizes <paramref name="count"/> items. <paramref name="rawFeatures"/>[m] holds count x d_m values of modality m.
    /// Returns count x T token IDs (modality-major, codes in [0, K)) and, when <paramref name="preprocessedFeatures"/> is
    /// given (count x <see cref="FeatureSize"/>), the encoder's feature input: raw rows preprocessed as the manifest's
    /// encoderFeatures says, concatenated in modality order.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong sizes, NaN/Inf or an all-zero row; the message names modality and row.</exception>
    public long[] Tokenize(IReadOnlyList<float[]> rawFeatures, int count, Span<float> preprocessedFeatures = default)
    {
        IReadOnlyList<BundleModality> modalities = Modalities;
        if (rawFeatures.Count != modalities.Count)
        {
            throw new ArgumentException($"{rawFeatures.Count} modalities given, the bundle has {modalities.Count} ({string.Join(", ", modalities.Select(modality => modality.Name))})", nameof(rawFeatures));
        }

        if (!preprocessedFeatures.IsEmpty && preprocessedFeatures.Length != count * FeatureSize)
        {
            throw new ArgumentException($"room for {preprocessedFeatures.Length} preprocessed values, {count * FeatureSize} needed", nameof(preprocessedFeatures));
        }

        long[] tokens = new long[count * TokensPerItem];
        int tokenOffset = 0;
        int featureOffset = 0;
        for (int index = 0; index < modalities.Count; index++)
        {
            BundleModality modality = modalities[index];
            PqCodebook codebook = _bundle.Codebooks[index];
            float[] raw = rawFeatures[index];
            int dimension = modality.Dimension;
            if (raw.Length != count * dimension)
            {
                throw new ArgumentException($"modality '{modality.Name}': {raw.Length} values for {count} items of dimension {dimension}", nameof(rawFeatures));
            }

            Validate(modality.Name, raw, dimension);
            if (!preprocessedFeatures.IsEmpty)
            {
                // The encoder's feature input has its own preprocessing (VBPR: L2 only), taken from the raw rows.
                float[] encoderRows = (float[])raw.Clone();
                new FeaturePreprocessing { L2Normalize = _encoderFeatures.L2Normalize, MeanCenter = false }.Apply(encoderRows, dimension, []);
                for (int item = 0; item < count; item++)
                {
                    encoderRows.AsSpan(item * dimension, dimension).CopyTo(preprocessedFeatures.Slice((item * FeatureSize) + featureOffset, dimension));
                }
            }

            float[] rows = (float[])raw.Clone();
            var preprocessing = new FeaturePreprocessing { L2Normalize = modality.L2Normalize, MeanCenter = modality.MeanCenter };
            preprocessing.Apply(rows, dimension, _bundle.FeatureMeans[index] ?? []);

            ushort[] codes = new ushort[count * codebook.SubspaceCount];
            ProductQuantizer.Encode(codebook, rows, count, codes);
            for (int item = 0; item < count; item++)
            {
                for (int subspace = 0; subspace < codebook.SubspaceCount; subspace++)
                {
                    tokens[(item * TokensPerItem) + tokenOffset + subspace] = codes[(item * codebook.SubspaceCount) + subspace];
                }
            }

            tokenOffset += codebook.SubspaceCount;
            featureOffset += dimension;
        }

        return tokens;
    }

    private static void Validate(string modality, ReadOnlySpan<float> rows, int dimension)
    {
        for (int row = 0; row * dimension < rows.Length; row++)
        {
            ReadOnlySpan<float> values = rows.Slice(row * dimension, dimension);
            bool allZero = true;
            foreach (float value in values)
            {
                if (!float.IsFinite(value))
                {
                    throw new ArgumentException($"modality '{modality}', item {row}: NaN or infinite feature value");
                }

                allZero &= value == 0f;
            }

            if (allZero)
            {
                throw new ArgumentException($"modality '{modality}', item {row}: all feature values are zero");
            }
        }
    }
}
