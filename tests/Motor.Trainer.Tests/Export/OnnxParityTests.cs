using Motor.Core.Datasets;
using Motor.Inference.Encoding;
using Motor.Trainer.Backbones;
using Motor.Trainer.Export;
using Motor.Trainer.Items;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Motor.Trainer.Tests.Export;

/// <summary>item_encoder.onnx run by ONNX Runtime against the TorchSharp modules it was written from.</summary>
[Collection(Training.TorchTestCollection.Name)]
public sealed class OnnxParityTests(ITestOutputHelper output) : IDisposable
{
    private const double Tolerance = 1e-5;
    private const int Users = 12;
    private const int Items = 40;
    private const int Subspaces = 4;
    private const int Centroids = 16;

    private readonly string _directory = Directory.CreateTempSubdirectory("motor-onnx-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>(use TCN, order, cross layers, branches, shared table, modalities).</summary>
    public static TheoryData<bool, TcnOrder, int, TcnBranches, bool, int> EncoderOptions() => new()
    {
        { false, TcnOrder.High, 0, TcnBranches.Both, false, 2 },
        { false, TcnOrder.High, 0, TcnBranches.Both, true, 1 },
        { true, TcnOrder.First, 0, TcnBranches.Both, false, 2 },
        { true, TcnOrder.Second, 0, TcnBranches.Specific, false, 2 },
        { true, TcnOrder.High, 0, TcnBranches.Agnostic, false, 2 },
        { true, TcnOrder.High, 2, TcnBranches.Both, false, 2 },
        { true, TcnOrder.High, 3, TcnBranches.Agnostic, true, 1 },
        { true, TcnOrder.High, 1, TcnBranches.Specific, true, 3 },
    };

    [Theory]
    [MemberData(nameof(EncoderOptions))]
    public void EncoderMatchesTorchSharpForEveryTcnOption(bool useTcn, TcnOrder order, int layers, TcnBranches branches, bool shared, int modalities)
    {
        var options = new MotorEncoderOptions { Dimension = 8, UseTcn = useTcn, Order = order, CrossLayers = layers, Branches = branches, SharedTokenTable = shared };
        double difference = CompareBackbone("bpr", options, modalities, seed: 7 + modalities + layers);
        Assert.True(difference < Tolerance, $"max abs difference {difference:E2} for {options.Describe()}");
    }

    [Theory]
    [InlineData("bpr", "own-vector", 1f)]
    [InlineData("bpr", "own-vector", 1.5f)]
    [InlineData("lightgcn", "layer-mean", 1f)]
    [InlineData("lightgcn", "ego", 1f)]
    [InlineData("lightgcn", "norm-matched", 1.25f)]
    [InlineData("vbpr", "own-vector", 1f)]
    [InlineData("vbpr", "own-vector", 2f)]
    [InlineData("freedom", "knn", 1f)]
    [InlineData("freedom", "knn", 1.5f)]
    public void ServingVectorsOfItemsWithoutInteractionsMatchTheBackbone(string backbone, string coldRule, float coldBoost)
    {
        var options = new MotorEncoderOptions { Dimension = 8, Order = TcnOrder.High, CrossLayers = 2, Branches = TcnBranches.Both };
        double difference = CompareBackbone(backbone, options, modalities: 2, seed: 11, coldRule, coldBoost);
        Assert.True(difference < Tolerance, $"max abs difference {difference:E2} for {backbone}");
    }

    [Fact]
    public void IdBackboneHasNoEncoder()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var items = new IdItemTable(Items, 8);
        var model = new BprMf(Context(new Random(1), 8, null, "own-vector", 1f), items);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => ItemEncoderExporter.Build(model, "test"));
        Assert.Contains("item representation 'id' has no item encoder", error.Message);
    }

    /// <summary>
    /// Builds the backbone with a MOTOR encoder on a graph where the last quarter of the items has no training interaction,
    /// randomises every parameter (so biases are not zero), and compares ONNX Runtime with the backbone's own serving
    /// vectors: all items for BPR/VBPR, the items without interactions for LightGCN and FREEDOM (the others are propagated).
    /// </summary>
    /// <summary>
    /// Items in groups of 12 with identical features: every top-10 is a tie, so ONNX TopK (lower index first) and the
    /// backbone's own neighbour search must break ties alike (tiktok has such items).
    /// </summary>
    [Fact]
    public void FreedomNeighboursOfItemsWithIdenticalFeaturesMatch()
    {
        var options = new MotorEncoderOptions { Dimension = 8, Order = TcnOrder.High, CrossLayers = 2, Branches = TcnBranches.Both };
        double difference = CompareBackbone("freedom", options, modalities: 2, seed: 13, identicalFeatureGroups: 12);
        Assert.True(difference < Tolerance, $"max abs difference {difference:E2}");
    }

    private double CompareBackbone(string backboneName, MotorEncoderOptions options, int modalities, int seed, string? coldRule = null, float coldBoost = 1f, int identicalFeatureGroups = 1)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(seed);
        var generator = new Random(seed);
        int tokensPerItem = modalities * Subspaces;
        long[] codes = [.. Enumerable.Range(0, Items * tokensPerItem).Select(_ => (long)generator.Next(Centroids))];
        var encoder = new MotorItemEncoder(codes, Items, modalities, Subspaces, Centroids, options);

        int featureSize = 6;
        float[] features = [.. Enumerable.Range(0, Items * featureSize).Select(_ => (float)generator.NextDouble())];
        for (int item = 0; item < Items; item++)
        {
            int first = item / identicalFeatureGroups * identicalFeatureGroups;
            Array.Copy(features, first * featureSize, features, item * featureSize, featureSize);
        }

        using Tensor featureTensor = tensor(features, [Items, featureSize]);
        BackboneDescriptor descriptor = BackboneRegistry.Get(backboneName);
        Backbone backbone = descriptor.Create(Context(generator, options.Dimension, featureTensor, coldRule ?? descriptor.ColdRules[0], coldBoost), encoder);
        using (no_grad())
        {
            foreach (var parameter in backbone.parameters())
            {
                parameter.add_(randn_like(parameter) * 0.1);
            }
        }

        float[] expected;
        int vectorSize;
        using (no_grad())
        {
            using ServingVectors serving = backbone.ComputeServingVectors();
            vectorSize = (int)serving.Items.shape[1];
            expected = serving.Items.contiguous().data<float>().ToArray();
        }

        string path = Path.Combine(_directory, $"{backboneName}-{Guid.NewGuid():N}.onnx");
        var model = ItemEncoderExporter.Build(backbone, "test");
        ItemEncoderExporter.Write(model, path);
        Assert.Equal(vectorSize, ItemEncoderExporter.VectorSizeOf(model));

        IReadOnlyList<string> inputs = ItemEncoderExporter.InputsOf(model);
        using ItemEncoderSession session = ItemEncoderSession.Open(path, inputs, tokensPerItem, vectorSize, ExecutionProviderPreference.Cpu);
        Assert.Equal(backboneName is "vbpr" or "freedom" ? featureSize : 0, session.FeatureSize);
        float[] actual = session.Encode(codes, session.FeatureSize > 0 ? features : [], Items);

        // Trained items are served as the backbone trained them; the encoder gives what an item without interactions gets.
        int firstCompared = backboneName is "lightgcn" or "freedom" || coldBoost != 1 ? ColdFrom : 0;
        double maxDifference = 0;
        for (int index = firstCompared * vectorSize; index < expected.Length; index++)
        {
            maxDifference = Math.Max(maxDifference, Math.Abs(expected[index] - actual[index]));
        }

        double scale = expected.Skip(firstCompared * vectorSize).Max(value => Math.Abs(value));
        output.WriteLine($"{backboneName} {options.Describe()} x{modalities}: max abs difference {maxDifference:E2} (largest |value| {scale:F3})");
        return maxDifference;
    }

    /// <summary>Items from here on have no training interaction.</summary>
    private const int ColdFrom = Items * 3 / 4;

    private static BackboneContext Context(Random generator, int dimension, Tensor? features, string coldRule, float coldBoost)
    {
        var users = new List<int>();
        var items = new List<int>();
        for (int user = 0; user < Users; user++)
        {
            for (int pick = 0; pick < 5; pick++)
            {
                users.Add(user);
                items.Add(generator.Next(ColdFrom));
            }
        }

        return new BackboneContext
        {
            UserCount = Users,
            ItemCount = Items,
            TrainByUser = CsrMatrix.FromPairs(Users, Items, users.ToArray(), items.ToArray()),
            ItemFeatures = features,

            // Two modalities of the six feature columns; FREEDOM weighs the image one by its mm_image_weight.
            ModalityNames = ["image", "audio"],
            ModalityDimensions = [3, 3],
            EmbeddingSize = dimension,
            RegWeight = 1e-4,
            Layers = 3,
            Device = CPU,
            ColdRule = coldRule,
            ColdBoost = coldBoost,
        };
    }
}
