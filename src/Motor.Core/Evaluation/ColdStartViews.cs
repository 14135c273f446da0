using Motor.Core.Datasets;

namespace Motor.Core.Evaluation;

/// <summary>
/// The views of PROTOCOL.md, "Cold-start evaluation", for one model under an <see cref="ItemHoldout"/> (metric name -> value,
/// as <see cref="MetricSet.Values"/>): the headline is <see cref="Hybrid"/>, cold-test items ranked against the whole catalog.
/// </summary>
public sealed record ColdStartViews
{
    /// <summary>Test interactions of warm items; only warm items ranked (held-out items absent).</summary>
    public required IReadOnlyDictionary<string, double> Warm { get; init; }

    /// <summary>Every interaction of a cold-test item; only the cold-test items ranked (the literature's cold view).</summary>
    public required IReadOnlyDictionary<string, double> Cold { get; init; }

    /// <summary>Every interaction of a cold-test item; the whole catalog ranked (warm and all held-out items).</summary>
    public required IReadOnlyDictionary<string, double> Hybrid { get; init; }

    /// <summary>Test interactions of the dataset's natural cold items (no training interaction, not held out); the whole catalog ranked.</summary>
    public required IReadOnlyDictionary<string, double> Natural { get; init; }

    /// <summary>All test interactions; the whole catalog ranked.</summary>
    public required IReadOnlyDictionary<string, double> Overall { get; init; }

    /// <summary>The cold view on cold-valid items (model selection).</summary>
    public required IReadOnlyDictionary<string, double> ColdValid { get; init; }

    /// <summary>The hybrid view on cold-valid items (model selection).</summary>
    public required IReadOnlyDictionary<string, double> HybridValid { get; init; }

    /// <summary>Users with at least one cold-test interaction (the users of <see cref="Cold"/> and <see cref="Hybrid"/>).</summary>
    public required int ColdTestUsers { get; init; }

    public required int ColdTestItems { get; init; }

    public required int ColdValidItems { get; init; }
}

/// <summary>Computes <see cref="ColdStartViews"/> with the full-ranking <see cref="RankingEvaluator"/>.</summary>
public static class ColdStartEvaluation
{
    /// <summary>
    /// Every view for <paramref name="scores"/> over all items of <paramref name="dataset"/>. Each user's training items in
    /// the hold-out's training view are masked (held-out items never have any there).
    /// </summary>
    /// <param name="hybridValid">The <see cref="HybridValid"/> metrics of these scores when the caller has them already
    /// (training measures them every epoch); computed here otherwise.</param>
    public static ColdStartViews Evaluate(IScoreProvider scores, InteractionDataset dataset, ItemHoldout holdout, EvaluationOptions? options = null, MetricSet? hybridValid = null)
    {
        CsrMatrix mask = holdout.TrainingView.TrainByUser;
        MetricSet hybrid = RankingEvaluator.Evaluate(scores, mask, holdout.ColdTestTargets, options);
        return new ColdStartViews
        {
            Warm = RankingEvaluator.Evaluate(scores, mask, holdout.TrainingView.TestByUser, options, holdout.WarmItems).Values,
            Cold = RankingEvaluator.Evaluate(scores, mask, holdout.ColdTestTargets, options, holdout.ColdTestItems).Values,
            Hybrid = hybrid.Values,
            Natural = RankingEvaluator.Evaluate(scores, mask, ColdStartTargets.Natural(holdout.TrainingView), options).Values,
            Overall = RankingEvaluator.Evaluate(scores, mask, dataset.TestByUser, options).Values,
            ColdValid = RankingEvaluator.Evaluate(scores, mask, holdout.ColdValidTargets, options, holdout.ColdValidItems).Values,
            HybridValid = (hybridValid ?? HybridValid(scores, holdout, options)).Values,
            ColdTestUsers = hybrid.UserCount,
            ColdTestItems = holdout.ColdTestItems.Length,
            ColdValidItems = holdout.ColdValidItems.Length,
        };
    }

    /// <summary>The hybrid view on cold-valid items alone: what model selection and the per-epoch learning curve read.</summary>
    public static MetricSet HybridValid(IScoreProvider scores, ItemHoldout holdout, EvaluationOptions? options = null)
        => RankingEvaluator.Evaluate(scores, holdout.TrainingView.TrainByUser, holdout.ColdValidTargets, options);
}
