namespace Motor.Trainer.Training;

/// <summary>The loop's settings; defaults are PROTOCOL.md's (MMRec overall.yaml).</summary>
public sealed record TrainingOptions
{
    public int MaxEpochs { get; init; } = 1000;

    /// <summary>Stop when the validation metric has not improved for this many epochs.</summary>
    public int Patience { get; init; } = 20;

    public int BatchSize { get; init; } = 2048;

    public double LearningRate { get; init; } = 1e-3;

    public int Seed { get; init; } = 999;

    /// <summary>The early-stopping metric, a Core metric name.</summary>
    public string ValidMetric { get; init; } = "recall@20";

    public void Validate()
    {
        if (MaxEpochs <= 0)
        {
            throw new ArgumentException($"--epochs: must be positive, got {MaxEpochs}");
        }

        if (Patience <= 0)
        {
            throw new ArgumentException($"--patience: must be positive, got {Patience}");
        }

        if (BatchSize <= 0)
        {
            throw new ArgumentException($"--batch-size: must be positive, got {BatchSize}");
        }

        if (!(LearningRate > 0))
        {
            throw new ArgumentException($"--lr: must be positive, got {LearningRate}");
        }
    }
}

/// <summary>
/// One finished epoch, for the progress display, the log and <c>history.json</c>. <see cref="HoldoutValidMetric"/> is the
/// same metric on the item hold-out's valid interactions (ranked among held-out items) when the run has a hold-out: a
/// learning curve for cold items, never used for early stopping.
/// </summary>
public sealed record EpochReport(int Epoch, int MaxEpochs, double Loss, double ValidMetric, int BestEpoch, double BestValidMetric, double TrainSeconds, double EvalSeconds, double? HoldoutValidMetric = null);
