using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Backbones;

/// <summary>
/// How a backbone scores an item that has no training interactions (METHOD.md section 6): its serving vector is
/// <c>[Scale · z_i ; f_i·Eᵀ + b]</c>, with z_i the item's own vector from its representation (the MOTOR encoding of its
/// tokens, or an untrained ID row) and the bracketed feature half only for backbones that project content (VBPR).
/// </summary>
/// <remarks>
/// Each backbone builds its rule from its current weights (<see cref="Backbone.ColdServing"/>); the trainer's evaluation
/// (<see cref="Apply"/>), the ONNX item encoder that the API runs for ingested items (Export/ItemEncoderGraph) and the
/// export's parity check all read this one description, so a rule cannot differ between them. The tensors are views of
/// the backbone's weights, not owned here.
/// </remarks>
public sealed record ColdServingRule
{
    /// <summary>Scale applied to z_i (LightGCN: see its <c>--cold-rule</c>; 1 for BPR and VBPR).</summary>
    public float Scale { get; init; } = 1;

    /// <summary>
    /// Calibration of the whole vector (<c>--cold-boost</c>, the same for every backbone; 1 = none): multiplies every score of
    /// an item without interactions, so new items can be given a place among the trained ones. Chosen on validation.
    /// </summary>
    public float Boost { get; init; } = 1;

    /// <summary>VBPR's E (ProjectedSize x FeatureSize, torch Linear layout); null when the backbone does not project content.</summary>
    public Tensor? FeatureProjection { get; init; }

    /// <summary>b of the feature projection (ProjectedSize values); null for none.</summary>
    public Tensor? FeatureProjectionBias { get; init; }

    public bool TakesFeatures => FeatureProjection is not null;

    /// <summary>The serving vectors of <paramref name="z"/>'s items (N x d) as if none had interactions.</summary>
    /// <param name="features">N x F preprocessed features (TrainingRun.FeatureTensor), needed when <see cref="TakesFeatures"/>.</param>
    public Tensor Apply(Tensor z, Tensor? features)
    {
        Tensor vector = z;
        if (Scale != 1)
        {
            using Scalar scale = Scale;
            vector = z * scale;
        }

        if (FeatureProjection is not null)
        {
            Tensor input = features ?? throw new ArgumentException("this backbone's cold-item rule needs the item features", nameof(features));
            Tensor projected = nn.functional.linear(input, FeatureProjection, FeatureProjectionBias);
            vector = cat([vector, projected], 1);
        }

        if (Boost != 1)
        {
            using Scalar boost = Boost;
            vector = vector * boost;
        }

        return vector;
    }
}
