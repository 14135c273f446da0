using Motor.Core.Datasets;
using Motor.Trainer.Backbones;
using Motor.Trainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Tests.Training;

/// <summary>FREEDOM's own parts: its parameters, its frozen content graph and cold-item rule, edge pruning, modality losses, determinism.</summary>
[Collection(TorchTestCollection.Name)]
public sealed class FreedomTests
{
    [Theory]
    [InlineData("id")]
    [InlineData("motor")]
    public void ParametersAreUsersItemsAndPerModalityFeatureTablesWithTheirProjections(string items)
    {
        InteractionDataset dataset = SyntheticData.Create();
        using Backbone model = TrainingTests.CreateModel(dataset, "freedom", items, seed: 3);
        long dimension = model.Items.Dimension;
        long itemSide = model.Items.parameters().Sum(parameter => parameter.numel());
        Assert.Equal(items == "id" ? dataset.ItemCount * dimension : itemSide, itemSide);

        // MMRec: user_embedding, item_id_embedding (or MOTOR), and per modality the trainable feature table and its Linear to d.
        long perModality = (dataset.ItemCount * SyntheticData.FeatureDimension) + (SyntheticData.FeatureDimension * dimension) + dimension;
        long expected = (dataset.UserCount * dimension) + itemSide + (SyntheticData.Modalities * perModality);
        Assert.Equal(expected, TrainingRun.CountParameters(model));
    }

    [Theory]
    [InlineData("id")]
    [InlineData("motor")]
    public void ColdItemsAreServedAsFreedomServesThemAndTheRuleFindsTheirContentNeighbours(string items)
    {
        InteractionDataset dataset = SyntheticData.Create();
        using Backbone model = TrainingTests.CreateModel(dataset, "freedom", items, seed: 4);
        using (BackboneTrainer.Train(model, dataset.TrainByUser, dataset.ValidByUser, new TrainingOptions { MaxEpochs = 5, Patience = 100, BatchSize = 64, LearningRate = 1e-2 }, CPU))
        {
        }

        using var scope = NewDisposeScope();
        using (no_grad())
        {
            using ServingVectors served = model.ComputeServingVectors();
            ColdServingRule rule = model.ColdServing();
            Tensor features = TrainingRun.FeatureTensor(dataset, CPU);
            Tensor fromRule = rule.Apply(model.Items.All(), features);
            Tensor ego = model.Items.All();
            float scale = 1f / (Freedom.Descriptor.DefaultLayers + 1);
            Assert.Equal(scale, rule.Scale);
            float[] featureValues = features.data<float>().ToArray();
            int width = SyntheticData.FeatureDimension;
            int columns = (int)features.shape[1];
            foreach (int cold in dataset.ColdItems)
            {
                // FREEDOM's own vector for an isolated item (sparse propagation) is the rule's (gather and sum).
                Assert.True(served.Items[cold].allclose(fromRule[cold], rtol: 0, atol: 1e-6), $"item {cold}");

                // The same by brute force: per modality the k most cosine-similar items (itself included), equal weights
                // (no modality is named image), value 1/k each.
                Tensor expected = ego[cold] * scale;
                for (int modality = 0; modality < SyntheticData.Modalities; modality++)
                {
                    int[] neighbours = Enumerable.Range(0, dataset.ItemCount)
                        .OrderByDescending(other => Cosine(featureValues, columns, cold, other, modality * width, width))
                        .Take(Freedom.KnnK)
                        .ToArray();
                    Assert.Contains(cold, neighbours);
                    foreach (int neighbour in neighbours)
                    {
                        expected = expected + (ego[neighbour] * (0.5 / Freedom.KnnK));
                    }
                }

                Assert.True(fromRule[cold].allclose(expected, rtol: 0, atol: 1e-5), $"item {cold}");
            }
        }
    }

    [Fact]
    public void EachEpochPrunesADifferentDegreeSensitiveSampleOfTheEdgesAndEvaluationUsesTheFullGraph()
    {
        InteractionDataset dataset = SyntheticData.Create();
        using Backbone model = TrainingTests.CreateModel(dataset, "freedom", "id", seed: 8);
        using var scope = NewDisposeScope();
        Tensor users = arange(0, 64, ScalarType.Int64);
        Tensor positives = tensor(Enumerable.Range(0, 64).Select(user => (long)dataset.TrainByUser.Row(user)[0]).ToArray());
        Tensor negatives = tensor(Enumerable.Range(0, 64).Select(user => (long)((dataset.TrainByUser.Row(user)[0] + 1) % dataset.ItemCount)).ToArray());
        using (no_grad())
        {
            model.train();
            model.BeginEpoch();
            float first = model.forward(users, positives, negatives).item<float>();
            model.BeginEpoch();
            float second = model.forward(users, positives, negatives).item<float>();
            model.eval();
            float full = model.forward(users, positives, negatives).item<float>();
            float fullAgain = model.forward(users, positives, negatives).item<float>();
            Assert.NotEqual(first, second);
            Assert.NotEqual(first, full);
            Assert.Equal(full, fullAgain);
        }
    }

    [Fact]
    public void ModalityLossesTrainTheFeatureProjectionsOnlyWhenWeighted()
    {
        InteractionDataset dataset = SyntheticData.Create();
        float[] Projection(Backbone model) => model.named_parameters().Where(pair => pair.name.StartsWith("modality_projections", StringComparison.Ordinal))
            .SelectMany(pair => pair.parameter.detach().flatten().data<float>().ToArray()).ToArray();
        float[] Moved(double regWeight)
        {
            using Backbone model = TrainingTests.CreateModel(dataset, "freedom", "id", seed: 6, regWeight: regWeight);
            float[] before = Projection(model);
            Assert.NotEmpty(before);
            using (BackboneTrainer.Train(model, dataset.TrainByUser, dataset.ValidByUser, new TrainingOptions { MaxEpochs = 2, Patience = 100, BatchSize = 64, LearningRate = 1e-2 }, CPU))
            {
            }

            return [.. before.Zip(Projection(model), (start, end) => Math.Abs(start - end))];
        }

        Assert.Equal(0f, Moved(0).Max());
        Assert.True(Moved(1e-3).Max() > 0);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("motor")]
    public void SameSeedOnCpuRepeatsBitForBit(string items)
    {
        InteractionDataset dataset = SyntheticData.Create();
        (double[] Losses, float[] Weights) Run(int seed)
        {
            using Backbone model = TrainingTests.CreateModel(dataset, "freedom", items, seed);
            var losses = new List<double>();
            using (BackboneTrainer.Train(model, dataset.TrainByUser, dataset.ValidByUser, new TrainingOptions { MaxEpochs = 4, Patience = 100, BatchSize = 32, Seed = seed }, CPU, report => losses.Add(report.Loss)))
            {
            }

            return ([.. losses], [.. model.parameters().SelectMany(parameter => parameter.detach().flatten().data<float>().ToArray())]);
        }

        var first = Run(42);
        var second = Run(42);
        Assert.Equal(first.Losses, second.Losses);
        Assert.Equal(first.Weights, second.Weights);
        Assert.NotEqual(first.Losses, Run(43).Losses);
    }

    private static double Cosine(float[] values, int columns, int left, int right, int offset, int width)
    {
        double dot = 0, leftNorm = 0, rightNorm = 0;
        for (int column = offset; column < offset + width; column++)
        {
            double a = values[(left * columns) + column];
            double b = values[(right * columns) + column];
            dot += a * b;
            leftNorm += a * a;
            rightNorm += b * b;
        }

        return dot / Math.Sqrt(leftNorm * rightNorm);
    }
}
