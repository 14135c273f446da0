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

    public required int EmbeddingSize { get; init; }

    /// <summary>Weight of the backbone's regulariser (MMRec's reg_weight).</summary>
    public required double RegWeight { get; init; }

    /// <summary>Propagation layers of graph backbones.</summary>
    public required int Layers { get; init; }

    public required Device Device { get; init; }
}
