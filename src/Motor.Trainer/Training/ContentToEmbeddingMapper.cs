using Motor.Core.Datasets;
using Motor.Core.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Training;

/// <summary>
/// The DeepMusic-style baseline of PROTOCOL.md's cold-start views (van den Oord et al., NeurIPS 2013): a map from an item's
/// preprocessed features to its trained serving vector, fitted on the warm items of an ID model and used for the held-out
/// items only (warm items keep their ID vectors). The map is linear with a bias, fitted by ridge regression in closed form;
/// its ridge weight is chosen on the cold-valid hybrid Recall@20, like every other option.
/// </summary>
public static class ContentToEmbeddingMapper
{
    public static readonly double[] RidgeWeights = [1e-2, 1e-1, 1, 10, 100];

    /// <summary>The serving vectors with every held-out item's row replaced by its mapped vector, at the chosen ridge weight.</summary>
    /// <param name="features">Items x F (TrainingRun.FeatureTensor).</param>
    public static (Tensor Items, double RidgeWeight) MapHeldOutItems(Tensor users, Tensor items, Tensor features, ItemHoldout holdout)
    {
        using var scope = NewDisposeScope();
        using Tensor cpuItems = items.detach().to(CPU).to(ScalarType.Float64);
        using Tensor cpuFeatures = features.detach().to(CPU).to(ScalarType.Float64);
        Tensor design = cat([cpuFeatures, ones(cpuFeatures.shape[0], 1, ScalarType.Float64)], 1);
        Tensor warm = tensor(holdout.WarmItems.Select(item => (long)item).ToArray(), ScalarType.Int64);
        Tensor heldOut = tensor(holdout.HeldOutItems.Select(item => (long)item).ToArray(), ScalarType.Int64);
        Tensor x = design.index_select(0, warm);
        Tensor y = cpuItems.index_select(0, warm);
        Tensor gram = x.t().matmul(x);
        Tensor rhs = x.t().matmul(y);

        Tensor? best = null;
        double bestWeight = double.NaN;
        double bestRecall = double.NegativeInfinity;
        foreach (double weight in RidgeWeights)
        {
            using Scalar ridge = weight;
            Tensor map = linalg.solve(gram + (eye(gram.shape[0], dtype: ScalarType.Float64) * ridge), rhs);
            Tensor mapped = cpuItems.index_copy(0, heldOut, design.index_select(0, heldOut).matmul(map)).to(ScalarType.Float32).to(items.device);
            double recall = ColdStartEvaluation.HybridValid(new DotProductScorer(users, mapped), holdout)["recall@20"];
            if (recall > bestRecall)
            {
                bestRecall = recall;
                bestWeight = weight;
                best = mapped;
            }
        }

        return (best!.MoveToOuterDisposeScope(), bestWeight);
    }
}
