using System.Text.Json.Serialization;

namespace Motor.Trainer.Training;

/// <summary>The content of metrics.json (issue 3): one run's results at its best-valid epoch.</summary>
public sealed record RunMetrics
{
    public required string Backbone { get; init; }

    public required string Items { get; init; }

    public required string Variant { get; init; }

    public required int BestEpoch { get; init; }

    /// <summary>Epochs run (early stopping included).</summary>
    public required int Epochs { get; init; }

    public required IReadOnlyDictionary<string, double> Valid { get; init; }

    public required IReadOnlyDictionary<string, double> Test { get; init; }

    /// <summary>Natural cold start: test interactions of items without training interactions, ranked among all items.</summary>
    public required IReadOnlyDictionary<string, double> ColdNatural { get; init; }

    public required int ColdNaturalUsers { get; init; }

    /// <summary>Item hold-out cold start on test interactions, ranked among held-out items; only with --cold-items.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? ColdHoldout { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? ColdHoldoutValid { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ColdHoldoutItems { get; init; }

    /// <summary>Training plus evaluation, per epoch.</summary>
    public required double SecondsPerEpoch { get; init; }

    public required double TrainSecondsPerEpoch { get; init; }

    public required double EvalSecondsPerEpoch { get; init; }

    /// <summary>Tokenizer fit (MOTOR), 0 for ID.</summary>
    public required double TokenizerSeconds { get; init; }

    public required double SecondsTotal { get; init; }

    /// <summary>Item-side storage (METHOD.md section 7).</summary>
    public required long ItemParamBytes { get; init; }

    /// <summary>What an ID table of the same size would take: items x d x 4.</summary>
    public required long IdTableBytes { get; init; }

    public required string Device { get; init; }

    public required IReadOnlyDictionary<string, object> Config { get; init; }
}
