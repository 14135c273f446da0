using Motor.Core.Datasets;
using Motor.Trainer.Backbones;
using Motor.Trainer.Devices;
using Motor.Trainer.Items;
using Motor.Trainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Tests.Training;

[Collection(TorchTestCollection.Name)]
public sealed class TrainingTests
{
    private static readonly MotorEncoderOptions s_encoder = new() { Dimension = 16 };

    [Theory]
    [InlineData("bpr", "id")]
    [InlineData("bpr", "motor")]
    [InlineData("vbpr", "id")]
    [InlineData("vbpr", "motor")]
    [InlineData("lightgcn", "id")]
    [InlineData("lightgcn", "motor")]
    [InlineData("freedom", "id")]
    [InlineData("freedom", "motor")]
    public void EveryBackboneAndItemVariantTrainsInTheSameLoopAndTheLossDecreases(string backbone, string items)
    {
        InteractionDataset dataset = SyntheticData.Create();
        using Backbone model = CreateModel(dataset, backbone, items, seed: 999);
        Assert.Equal(items, model.Items.Kind);
        var losses = new List<double>();

        using TrainingOutcome outcome = BackboneTrainer.Train(model, dataset.TrainByUser, dataset.ValidByUser,
            new TrainingOptions { MaxEpochs = 25, Patience = 100, BatchSize = 64, LearningRate = 1e-2 }, CPU, report => losses.Add(report.Loss));

        Assert.Equal(25, losses.Count);
        Assert.True(losses[^1] < 0.8 * losses[0], $"loss {losses[0]:F4} -> {losses[^1]:F4}");
        Assert.InRange(outcome.BestEpoch, 1, 25);
        Assert.Equal(dataset.UserCount, outcome.BestVectors.Users.shape[0]);
        Assert.Equal(dataset.ItemCount, outcome.BestVectors.Items.shape[0]);
        Assert.True(outcome.BestValid["recall@20"] > 0.5, $"valid recall@20 {outcome.BestValid["recall@20"]:F3} on an easy clustered dataset");
    }

    [Fact]
    public void ItemNeverSeenInTrainingGetsATrainedVectorFromItsTokensWhileItsIdRowStaysAtInit()
    {
        InteractionDataset dataset = SyntheticData.Create();
        int cold = dataset.ColdItems[0];
        int warmTwin = Enumerable.Range(0, dataset.ItemCount).First(item => SyntheticData.ClusterOf(item) == SyntheticData.ClusterOf(cold) && dataset.TrainByUser.Columns.Contains(item));
        var options = new TrainingOptions { MaxEpochs = 10, Patience = 100, BatchSize = 64, LearningRate = 1e-2 };

        using Backbone motor = CreateModel(dataset, "bpr", "motor", seed: 1);
        Tensor motorBefore = ItemVector(motor, cold);
        using (BackboneTrainer.Train(motor, dataset.TrainByUser, dataset.ValidByUser, options, CPU))
        {
        }

        Tensor motorAfter = ItemVector(motor, cold);
        Assert.False(motorBefore.allclose(motorAfter), "the cold item's MOTOR vector must move with the shared token embeddings");
        Assert.True(motorAfter.equal(ItemVector(motor, warmTwin)).all().item<bool>(), "same tokens, same vector: the cold item shares its warm twin's representation");

        using Backbone id = CreateModel(dataset, "bpr", "id", seed: 1);
        Tensor idBefore = ItemVector(id, cold);
        using (BackboneTrainer.Train(id, dataset.TrainByUser, dataset.ValidByUser, options, CPU))
        {
        }

        Assert.True(idBefore.equal(ItemVector(id, cold)).all().item<bool>(), "an ID row without interactions is never trained");
    }

    [Fact]
    public void MotorRanksColdItemsForTheirClusterUsersAndIdDoesNot()
    {
        InteractionDataset dataset = SyntheticData.Create();
        var options = new TrainingOptions { MaxEpochs = 30, Patience = 100, BatchSize = 64, LearningRate = 1e-2 };
        double ColdRecall(string items)
        {
            using Backbone model = CreateModel(dataset, "bpr", items, seed: 5);
            using TrainingOutcome outcome = BackboneTrainer.Train(model, dataset.TrainByUser, dataset.ValidByUser, options, CPU);
            var scorer = new DotProductScorer(outcome.BestVectors.Users, outcome.BestVectors.Items);
            return Motor.Core.Evaluation.RankingEvaluator.Evaluate(scorer, dataset.TrainByUser, Motor.Core.Evaluation.ColdStartTargets.Natural(dataset))["recall@10"];
        }

        double motor = ColdRecall("motor");
        double id = ColdRecall("id");
        Assert.True(motor > 0.6 && motor > 2 * id, $"cold recall@10: MOTOR {motor:F3}, ID {id:F3}");
    }

    [Fact]
    public void SameSeedOnCpuRepeatsBitForBit()
    {
        InteractionDataset dataset = SyntheticData.Create();
        (double[] Losses, double Valid, float[] Weights) Run()
        {
            using Backbone model = CreateModel(dataset, "lightgcn", "motor", seed: 42);
            var losses = new List<double>();
            using TrainingOutcome outcome = BackboneTrainer.Train(model, dataset.TrainByUser, dataset.ValidByUser,
                new TrainingOptions { MaxEpochs = 6, Patience = 100, BatchSize = 32, Seed = 42 }, CPU, report => losses.Add(report.Loss));
            float[] weights = model.parameters().SelectMany(parameter => parameter.detach().flatten().data<float>().ToArray()).ToArray();
            return (losses.ToArray(), outcome.BestValid["recall@20"], weights);
        }

        var first = Run();
        var second = Run();
        Assert.Equal(first.Losses, second.Losses);
        Assert.Equal(first.Valid, second.Valid);
        Assert.Equal(first.Weights, second.Weights);

        using Backbone other = CreateModel(dataset, "lightgcn", "motor", seed: 43);
        float[] otherWeights = other.parameters().SelectMany(parameter => parameter.detach().flatten().data<float>().ToArray()).ToArray();
        Assert.NotEqual(first.Weights, otherWeights);
    }

    [Fact]
    public void NegativesAreNeverTheUsersTrainingItemsAndComeFromTrainingItemsOnly()
    {
        InteractionDataset dataset = SyntheticData.Create();
        using var sampler = new NegativeSampler(dataset.TrainByUser, CPU);
        using var generator = new Generator(3, CPU);
        var trainingItems = new HashSet<int>(dataset.TrainByUser.Columns);
        Assert.Equal(trainingItems.Count, sampler.CandidateCount);
        for (int round = 0; round < 20; round++)
        {
            (Tensor users, Tensor positives, Tensor negatives) = sampler.Epoch(generator);
            long[] u = users.data<long>().ToArray();
            long[] p = positives.data<long>().ToArray();
            long[] n = negatives.data<long>().ToArray();
            Assert.Equal(dataset.TrainByUser.NonZeroCount, u.Length);
            for (int index = 0; index < u.Length; index++)
            {
                Assert.True(dataset.TrainByUser.Contains((int)u[index], (int)p[index]));
                Assert.False(dataset.TrainByUser.Contains((int)u[index], (int)n[index]), $"user {u[index]} got its own item {n[index]}");
                Assert.Contains((int)n[index], trainingItems);
            }

            users.Dispose();
            positives.Dispose();
            negatives.Dispose();
        }
    }

    [Fact]
    public void LightGcnAdjacencyIsSymmetricallyNormalised()
    {
        CsrMatrix graph = CsrMatrix.FromPairs(2, 3, [0, 0, 1], [0, 1, 1]);
        using Tensor adjacency = LightGcn.NormalizedAdjacency(graph, 2, 3, CPU);
        float[] values = adjacency.to_dense().data<float>().ToArray();
        // Degrees: user0 2, user1 1, item0 1, item1 2, item2 0.
        Assert.Equal(1 / MathF.Sqrt(2 * 1), values[(0 * 5) + 2], 5);
        Assert.Equal(1 / MathF.Sqrt(2 * 2), values[(0 * 5) + 3], 5);
        Assert.Equal(1 / MathF.Sqrt(1 * 2), values[(1 * 5) + 3], 5);
        Assert.Equal(values[(0 * 5) + 3], values[(3 * 5) + 0]);
        Assert.Equal(0f, values[(4 * 5) + 0]);
        Assert.Equal(0f, values[(0 * 5) + 1]);
        Assert.Equal(6, values.Count(value => value != 0));
    }

    [Fact]
    public void CudaWithoutACudaBackendIsAClearError()
    {
        if (cuda.is_available())
        {
            Assert.True(TorchDevice.Resolve("cuda").IsCuda);
            return;
        }

        var error = Assert.Throws<InvalidOperationException>(() => TorchDevice.Resolve("cuda"));
        Assert.Contains("--device cuda", error.Message);
        Assert.False(TorchDevice.Resolve("auto").IsCuda);
    }

    internal static Backbone CreateModel(InteractionDataset dataset, string backbone, string items, int seed, string? coldRule = null, double coldDropout = 0, double? regWeight = null)
    {
        TorchDevice.Seed(seed);
        BackboneDescriptor descriptor = BackboneRegistry.Get(backbone);
        ItemRepresentation representation = items == "motor"
            ? new MotorItemEncoder(SyntheticData.TokenCodes(), dataset.ItemCount, SyntheticData.Modalities, SyntheticData.Subspaces, SyntheticData.Centroids, s_encoder, CPU)
            : new IdItemTable(dataset.ItemCount, s_encoder.Dimension, CPU);
        var context = new BackboneContext
        {
            UserCount = dataset.UserCount,
            ItemCount = dataset.ItemCount,
            TrainByUser = dataset.TrainByUser,
            ItemFeatures = descriptor.NeedsFeatures ? TrainingRun.FeatureTensor(dataset, CPU) : null,
            ModalityNames = [.. dataset.Modalities.Select(modality => modality.Name)],
            ModalityDimensions = [.. dataset.Modalities.Select(modality => modality.Dimension)],
            EmbeddingSize = s_encoder.Dimension,
            RegWeight = regWeight ?? descriptor.DefaultRegWeight,
            Layers = descriptor.DefaultLayers,
            Device = CPU,
            ColdRule = coldRule ?? descriptor.ColdRules[0],
            ColdDropout = coldDropout,
        };
        return descriptor.Create(context, representation);
    }

    private static Tensor ItemVector(Backbone model, int item)
    {
        using (no_grad())
        {
            using Tensor index = tensor(new long[] { item });
            return model.Items.forward(index).detach().clone();
        }
    }
}
