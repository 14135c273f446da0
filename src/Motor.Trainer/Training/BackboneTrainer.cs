using System.Diagnostics;
using Motor.Core.Datasets;
using Motor.Core.Evaluation;
using Motor.Trainer.Backbones;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Motor.Trainer.Training;

/// <summary>The outcome of <see cref="BackboneTrainer.Train"/>: the best-valid epoch's metrics, weights and serving vectors.</summary>
public sealed class TrainingOutcome : IDisposable
{
    public required int BestEpoch { get; init; }

    public required int EpochsRun { get; init; }

    public required MetricSet BestValid { get; init; }

    /// <summary>The hold-out monitor's metrics at the best-valid epoch; null without a monitor.</summary>
    public MetricSet? BestHoldoutValid { get; init; }

    /// <summary>Serving vectors at the best-valid epoch (the model's weights are restored to that epoch too).</summary>
    public required ServingVectors BestVectors { get; init; }

    public required IReadOnlyList<EpochReport> History { get; init; }

    public double TrainSecondsPerEpoch => History.Average(epoch => epoch.TrainSeconds);

    public double EvalSecondsPerEpoch => History.Average(epoch => epoch.EvalSeconds);

    public void Dispose() => BestVectors.Dispose();
}

/// <summary>
/// The training loop of PROTOCOL.md, the same for every backbone and item representation: per epoch all training pairs in
/// a seeded random order with one fresh negative each, Adam, batches of <see cref="TrainingOptions.BatchSize"/>; then a
/// full-ranking validation with the Core evaluator; early stopping on <see cref="TrainingOptions.ValidMetric"/>.
/// </summary>
public static class BackboneTrainer
{
    public static TrainingOutcome Train(
        Backbone model,
        CsrMatrix trainByUser,
        CsrMatrix validByUser,
        TrainingOptions options,
        Device device,
        Action<EpochReport>? onEpoch = null,
        Func<ServingVectors, MetricSet>? holdoutMonitor = null)
    {
        options.Validate();
        using var sampler = new NegativeSampler(trainByUser, device);
        using var generator = new Generator((ulong)options.Seed, device);
        using Adam optimizer = optim.Adam(model.parameters(), options.LearningRate);
        var evaluation = new EvaluationOptions();
        var history = new List<EpochReport>();

        int bestEpoch = 0;
        double bestMetric = double.NegativeInfinity;
        MetricSet? bestValid = null;
        MetricSet? bestHoldoutValid = null;
        ServingVectors? bestVectors = null;
        Dictionary<string, Tensor>? bestState = null;

        for (int epoch = 1; epoch <= options.MaxEpochs; epoch++)
        {
            var trainClock = Stopwatch.StartNew();
            model.train();
            model.BeginEpoch();
            double loss = TrainEpoch(model, sampler, optimizer, generator, options.BatchSize, device);
            trainClock.Stop();

            var evalClock = Stopwatch.StartNew();
            model.eval();
            ServingVectors vectors;
            using (no_grad())
            {
                vectors = model.ComputeServingVectors();
            }

            MetricSet valid = RankingEvaluator.Evaluate(new DotProductScorer(vectors.Users, vectors.Items), trainByUser, validByUser, evaluation);
            double metric = valid[options.ValidMetric];
            MetricSet? holdoutValid = holdoutMonitor?.Invoke(vectors);
            if (metric > bestMetric)
            {
                bestMetric = metric;
                bestEpoch = epoch;
                bestValid = valid;
                bestHoldoutValid = holdoutValid;
                bestVectors?.Dispose();
                bestVectors = vectors;
                DisposeState(bestState);
                bestState = CloneState(model);
            }
            else
            {
                vectors.Dispose();
            }

            evalClock.Stop();
            var report = new EpochReport(epoch, options.MaxEpochs, loss, metric, bestEpoch, bestMetric, trainClock.Elapsed.TotalSeconds, evalClock.Elapsed.TotalSeconds, holdoutValid?[options.ValidMetric]);
            history.Add(report);
            onEpoch?.Invoke(report);
            if (epoch - bestEpoch >= options.Patience)
            {
                break;
            }
        }

        model.load_state_dict(bestState!);
        DisposeState(bestState);
        return new TrainingOutcome
        {
            BestEpoch = bestEpoch,
            EpochsRun = history.Count,
            BestValid = bestValid!,
            BestHoldoutValid = bestHoldoutValid,
            BestVectors = bestVectors!,
            History = history,
        };
    }

    /// <summary>One pass over all training pairs; returns the mean batch loss (read from the device once per epoch).</summary>
    public static double TrainEpoch(Backbone model, NegativeSampler sampler, Adam optimizer, Generator generator, int batchSize, Device device)
    {
        (Tensor users, Tensor positives, Tensor negatives) = sampler.Epoch(generator);
        using (users)
        using (positives)
        using (negatives)
        using (Tensor lossSum = zeros(1, ScalarType.Float32, device))
        {
            int batches = 0;
            for (long start = 0; start < sampler.PairCount; start += batchSize)
            {
                using DisposeScope scope = NewDisposeScope();
                long length = Math.Min(batchSize, sampler.PairCount - start);
                optimizer.zero_grad();
                Tensor loss = model.forward(users.narrow(0, start, length), positives.narrow(0, start, length), negatives.narrow(0, start, length));
                loss.backward();
                optimizer.step();
                lossSum.add_(loss.detach());
                batches++;
            }

            return lossSum.item<float>() / batches;
        }
    }

    private static Dictionary<string, Tensor> CloneState(nn.Module model)
    {
        var state = new Dictionary<string, Tensor>();
        foreach ((string name, Tensor value) in model.state_dict())
        {
            state[name] = value.detach().clone();
        }

        return state;
    }

    private static void DisposeState(Dictionary<string, Tensor>? state)
    {
        if (state is null)
        {
            return;
        }

        foreach (Tensor value in state.Values)
        {
            value.Dispose();
        }
    }
}
