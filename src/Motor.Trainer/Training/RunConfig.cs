using Motor.Trainer.Backbones;
using Motor.Trainer.Items;

namespace Motor.Trainer.Training;

/// <summary>Everything that defines one training run (written to config.json and into metrics.json).</summary>
public sealed record RunConfig
{
    public string Backbone { get; init; } = "bpr";

    /// <summary>"id" or "motor".</summary>
    public string Items { get; init; } = "id";

    public int EmbeddingSize { get; init; } = 64;

    /// <summary>Null: the backbone's published default.</summary>
    public double? RegWeight { get; init; }

    /// <summary>Null: the backbone's published default (graph backbones).</summary>
    public int? Layers { get; init; }

    /// <summary>PQ sub-spaces per modality (MOTOR).</summary>
    public int SubspaceCount { get; init; } = 8;

    /// <summary>PQ centroids per sub-space (MOTOR).</summary>
    public int CentroidCount { get; init; } = 256;

    public bool UseOpq { get; init; }

    public MotorEncoderOptions Encoder { get; init; } = new();

    /// <summary>Null: the backbone's default rule for items without training interactions.</summary>
    public string? ColdRule { get; init; }

    /// <summary>See <see cref="BackboneContext.ColdDropout"/>.</summary>
    public double ColdDropout { get; init; }

    /// <summary>See <see cref="ColdServingRule.Boost"/>; the boost trained with (and served, unless <see cref="ChooseColdBoost"/>).</summary>
    public double ColdBoost { get; init; } = 1;

    /// <summary>
    /// <c>--cold-boost auto</c> (the default): after training, serve the boost of <see cref="TrainingRun.ColdBoosts"/> with
    /// the best overall-valid Recall@20 (warm valid and cold-valid interactions, whole catalog). Without a hold-out
    /// (<see cref="ColdItems"/> = 0) there are no new items to choose on, and the run serves <see cref="ColdBoost"/>.
    /// </summary>
    public bool ChooseColdBoost { get; init; }

    /// <summary>Share of items held out for the item cold-start protocol; 0 = off.</summary>
    public double ColdItems { get; init; }

    public TrainingOptions Training { get; init; } = new();

    public BackboneDescriptor Descriptor => BackboneRegistry.Get(Backbone);

    public double EffectiveRegWeight => RegWeight ?? Descriptor.DefaultRegWeight;

    public int EffectiveLayers => Layers ?? Descriptor.DefaultLayers;

    public string EffectiveColdRule => ColdRule ?? Descriptor.ColdRules[0];

    public bool IsMotor => Items == "motor";

    public void Validate()
    {
        _ = Descriptor;
        if (Items is not ("id" or "motor"))
        {
            throw new ArgumentException($"--items: expected id or motor, got '{Items}'");
        }

        if (EmbeddingSize <= 0)
        {
            throw new ArgumentException($"--embedding-size: must be positive, got {EmbeddingSize}");
        }

        if (EffectiveRegWeight < 0)
        {
            throw new ArgumentException($"--reg: must be >= 0, got {EffectiveRegWeight}");
        }

        if (EffectiveLayers < 0)
        {
            throw new ArgumentException($"--layers: must be >= 0, got {EffectiveLayers}");
        }

        if (!Descriptor.ColdRules.Contains(EffectiveColdRule))
        {
            throw new ArgumentException($"--cold-rule: {Backbone} has {string.Join(", ", Descriptor.ColdRules)}, got '{EffectiveColdRule}'");
        }

        if (ColdDropout is < 0 or >= 1)
        {
            throw new ArgumentException($"--cold-dropout: must be in [0, 1), got {ColdDropout}");
        }

        if (!(ColdBoost > 0 && ColdBoost <= 100))
        {
            throw new ArgumentException($"--cold-boost: must be in (0, 100], got {ColdBoost}");
        }

        if (ColdItems is < 0 or >= 1)
        {
            throw new ArgumentException($"--cold-items: must be in [0, 1), got {ColdItems}");
        }

        Encoder.Validate();
        Training.Validate();
    }

    /// <summary>Short label for tables: "id" or e.g. "motor M8 K256 high L2 both".</summary>
    public string VariantLabel => IsMotor ? $"motor M{SubspaceCount} K{CentroidCount}{(UseOpq ? " opq" : string.Empty)} {Encoder.Describe()}" : "id";
}
