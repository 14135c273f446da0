using Motor.Core.Datasets;
using static TorchSharp.torch;

namespace Motor.Trainer.Backbones;

/// <summary>What a backbone may need from the data: sizes, the training graph, item features, hyper-parameters.</summary>
public sealed class BackboneContext
{
    public required int UserCount { get; init; }

    public required int ItemCount { get; init; }

    /// <summary>Each user's training items (the graph of graph backbones).</summary>
    public required CsrMatrix TrainByUser { get; init; }

    /// <summary>Preprocessed modality features concatenated per item (ItemCount x F, on the device); null without modalities.</summary>
    public Tensor? ItemFeatures { get; init; }

    /// <summary>Names of the modalities in the column order of <see cref="ItemFeatures"/> (backbones that weigh modalities).</summary>
    public IReadOnlyList<string> ModalityNames { get; init; } = [];

    /// <summary>Column widths of the modalities in <see cref="ItemFeatures"/>, in order; empty when not given.</summary>
    public IReadOnlyList<int> ModalityDimensions { get; init; } = [];

    public required int EmbeddingSize { get; init; }

    /// <summary>Weight of the backbone's regulariser (MMRec's reg_weight).</summary>
    public required double RegWeight { get; init; }

    /// <summary>Propagation layers of graph backbones.</summary>
    public required int Layers { get; init; }

    public required Device Device { get; init; }

    /// <summary>One of the backbone's <see cref="BackboneDescriptor.ColdRules"/>.</summary>
    public required string ColdRule { get; init; }

    /// <summary>
    /// Training only: probability that a batch item is scored by the cold-item rule instead of its trained serving vector
    /// (DropoutNet-style), so that the rule's vectors are trained to compete with the catalog. 0 = off.
    /// </summary>
    public double ColdDropout { get; init; }

    /// <summary>See <see cref="ColdServingRule.Boost"/>.</summary>
    public float ColdBoost { get; init; } = 1;
}
