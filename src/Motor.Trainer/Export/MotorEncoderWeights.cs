using Motor.Trainer.Items;
using static TorchSharp.torch;

namespace Motor.Trainer.Export;

/// <summary>One TCN cross layer: x_{l+1} = x0 ⊙ (x_l·Wᵀ + b) + x_l, W is Width x Width (torch Linear layout).</summary>
internal sealed record CrossLayerWeights(float[] Weight, float[] Bias);

/// <summary>
/// The trained MOTOR encoder as plain arrays (no torch), read from <see cref="MotorItemEncoder"/>'s state dictionary by the
/// parameter names its remarks define. What the ONNX writer needs and nothing else.
/// </summary>
internal sealed record MotorEncoderWeights
{
    public required MotorEncoderOptions Options { get; init; }

    public required int ModalityCount { get; init; }

    public required int SubspaceCount { get; init; }

    public required int CentroidCount { get; init; }

    /// <summary>Per modality: (M*K or K) x d, row-major.</summary>
    public required IReadOnlyList<float[]> TokenTables { get; init; }

    /// <summary>Per branch (specific ones in modality order, then agnostic): its cross layers.</summary>
    public required IReadOnlyList<IReadOnlyList<CrossLayerWeights>> Branches { get; init; }

    /// <summary>d x (branches * width); null without TCN.</summary>
    public float[]? ProjectionWeight { get; init; }

    public float[]? ProjectionBias { get; init; }

    public int Dimension => Options.Dimension;

    public int TokensPerItem => ModalityCount * SubspaceCount;

    public int TableRows => Options.SharedTokenTable ? CentroidCount : SubspaceCount * CentroidCount;

    /// <summary>A weight's values as float32, row-major, on the host (what the ONNX initializers take).</summary>
    public static float[] HostValues(Tensor tensor)
    {
        using Tensor host = tensor.detach().to(ScalarType.Float32).cpu().contiguous();
        return host.data<float>().ToArray();
    }

    public static MotorEncoderWeights From(MotorItemEncoder encoder)
    {
        Dictionary<string, Tensor> state = encoder.state_dict();
        float[] Read(string name)
        {
            if (!state.TryGetValue(name, out Tensor? tensor))
            {
                throw new InvalidOperationException($"the MOTOR encoder has no parameter '{name}' (state: {string.Join(", ", state.Keys)})");
            }

            return HostValues(tensor);
        }

        MotorEncoderOptions options = encoder.Options;
        var tables = new List<float[]>();
        for (int modality = 0; modality < encoder.ModalityCount; modality++)
        {
            tables.Add(Read($"token_tables.{modality}"));
        }

        var branches = new List<IReadOnlyList<CrossLayerWeights>>();
        float[]? projectionWeight = null;
        float[]? projectionBias = null;
        if (options.UseTcn)
        {
            for (int branch = 0; branch < options.BranchCount(encoder.ModalityCount); branch++)
            {
                var layers = new List<CrossLayerWeights>();
                for (int layer = 0; layer < options.EffectiveCrossLayers; layer++)
                {
                    layers.Add(new CrossLayerWeights(Read($"branches.{branch}.cross.{layer}.weight"), Read($"branches.{branch}.cross.{layer}.bias")));
                }

                branches.Add(layers);
            }

            projectionWeight = Read("projection.weight");
            projectionBias = Read("projection.bias");
        }

        return new MotorEncoderWeights
        {
            Options = options,
            ModalityCount = encoder.ModalityCount,
            SubspaceCount = encoder.SubspaceCount,
            CentroidCount = encoder.CentroidCount,
            TokenTables = tables,
            Branches = branches,
            ProjectionWeight = projectionWeight,
            ProjectionBias = projectionBias,
        };
    }
}
