namespace Motor.Trainer.Tokenization;

/// <summary>
/// Quality of one modality's quantizer. MSE, relative MSE, perplexity and dead codewords are measured on the training
/// rows the codebook was fitted on; the collision rate on all items.
/// </summary>
public sealed record ModalityReport
{
    public required string Modality { get; init; }

    public required int Dimension { get; init; }

    public required int TrainingRows { get; init; }

    /// <summary>Mean over training rows of the squared reconstruction error ||x - x̂||^2 (preprocessed rows).</summary>
    public required double Mse { get; init; }

    /// <summary><see cref="Mse"/> divided by the mean squared norm of the preprocessed training rows.</summary>
    public required double RelativeMse { get; init; }

    /// <summary>exp(entropy) of the code distribution per sub-space; K means perfectly even use.</summary>
    public required double[] Perplexity { get; init; }

    /// <summary>Codewords no training row is assigned to, per sub-space.</summary>
    public required int[] DeadCodewords { get; init; }

    /// <summary>Share of all items whose full code tuple (M codes) equals another item's.</summary>
    public required double CollisionRate { get; init; }

    /// <summary>Codes where the trainer's torch assignment and Motor.Core's encoder disagree (expected 0).</summary>
    public required long AssignmentMismatches { get; init; }

    public required double Seconds { get; init; }
}
