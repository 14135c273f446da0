using System.Text.Json.Serialization;
using Motor.Core.Evaluation;

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

    /// <summary>The cold-start views of PROTOCOL.md (warm, cold, hybrid, overall, and the cold-valid ones); only with --cold-items.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ColdStartViews? ColdStart { get; init; }

    /// <summary>
    /// The same views for the protocol's baselines on the same hold-out: "random", "contentKnn", and for ID runs "mapper"
    /// (<see cref="ContentToEmbeddingMapper"/> on this run's vectors); only with --cold-items.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, ColdStartViews>? Baselines { get; init; }

    /// <summary>The mapper's ridge weight chosen on cold-valid (ID runs with --cold-items).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MapperRidgeWeight { get; init; }

    /// <summary>MOTOR runs with --cold-items: validation Recall@20 at other serving-time cold boosts (for choosing --cold-boost).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ColdBoostPoint>? ColdBoostCurve { get; init; }

    /// <summary>MOTOR: the cold boost the run's vectors (and its export) serve: the configured one, or the one chosen by <c>--cold-boost auto</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ServedColdBoost { get; init; }

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

/// <summary>Validation Recall@20 with items without training interactions served at <see cref="Boost"/>.</summary>
public sealed record ColdBoostPoint(double Boost, double HybridValid, double OverallValid);
