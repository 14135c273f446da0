using System.Diagnostics;
using System.Globalization;
using Motor.Core.Datasets;
using Motor.Trainer.Backbones;
using Motor.Trainer.Items;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Training;

/// <summary>What one MOTOR-BPR or ID-BPR configuration costs per step and per epoch at a catalog size.</summary>
public sealed record TrainingStepMeasurement(
    string Items,
    int CatalogItems,
    int Users,
    int Interactions,
    int BatchSize,
    int MeasuredSteps,
    double MedianStepMilliseconds,
    double EpochSeconds,
    long ItemSideBytes,
    long PeakResidentBytes);

/// <summary>
/// The training step at catalog scale without a dataset on disk (<c>motor-trainer scale-bench</c>): BPR with the MOTOR
/// encoder (random tokens: 2 modalities, M = 8, K = 256, the default TCN) or an ID table over <c>catalogItems</c> items,
/// Adam, random (user, positive, negative) batches of the training loop's size. The epoch is the median step times the
/// steps of <c>interactions</c> pairs, so that catalogs of different sizes are compared at fixed interactions. Peak
/// memory is the process's (VmHWM): run one configuration per process.
/// </summary>
public static class TrainingStepBenchmark
{
    private const int Modalities = 2;
    private const int Subspaces = 8;
    private const int Centroids = 256;
    private const int WarmUpSteps = 3;

    public static TrainingStepMeasurement Run(string items, int catalogItems, int users, int interactions, int batchSize, int steps, int seed, Device device)
    {
        manual_seed(seed);
        var random = new Random(seed);
        using ItemRepresentation representation = items switch
        {
            "motor" => new MotorItemEncoder(RandomCodes(random, catalogItems), catalogItems, Modalities, Subspaces, Centroids, new MotorEncoderOptions(), device),
            "id" => new IdItemTable(catalogItems, new MotorEncoderOptions().Dimension, device),
            _ => throw new ArgumentException($"--items: expected id or motor, got '{items}'"),
        };
        var context = new BackboneContext
        {
            UserCount = users,
            ItemCount = catalogItems,
            TrainByUser = new CsrMatrix(users, catalogItems, new int[users + 1], []),
            EmbeddingSize = representation.Dimension,
            RegWeight = BprMf.Descriptor.DefaultRegWeight,
            Layers = 0,
            Device = device,
            ColdRule = BprMf.Descriptor.ColdRules[0],
        };
        using Backbone model = BprMf.Descriptor.Create(context, representation);
        model.train();
        using TorchSharp.Modules.Adam optimizer = optim.Adam(model.parameters(), 1e-3);
        using var generator = new Generator((ulong)seed, device);
        var times = new List<double>();
        for (int step = 0; step < WarmUpSteps + steps; step++)
        {
            using DisposeScope scope = NewDisposeScope();
            Tensor batchUsers = randint(users, [batchSize], generator: generator, dtype: ScalarType.Int64, device: device);
            Tensor positives = randint(catalogItems, [batchSize], generator: generator, dtype: ScalarType.Int64, device: device);
            Tensor negatives = randint(catalogItems, [batchSize], generator: generator, dtype: ScalarType.Int64, device: device);
            var clock = Stopwatch.StartNew();
            optimizer.zero_grad();
            Tensor loss = model.forward(batchUsers, positives, negatives);
            loss.backward();
            optimizer.step();
            _ = loss.item<float>(); // waits for the device
            if (step >= WarmUpSteps)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        times.Sort();
        double median = times[times.Count / 2];
        long stepsPerEpoch = (interactions + batchSize - 1) / batchSize;
        return new TrainingStepMeasurement(items, catalogItems, users, interactions, batchSize, steps, median, median * stepsPerEpoch / 1000, representation.StorageBytes, PeakResidentBytes());
    }

    private static long[] RandomCodes(Random random, int catalogItems)
    {
        long[] codes = new long[(long)catalogItems * Modalities * Subspaces];
        for (long index = 0; index < codes.Length; index++)
        {
            codes[index] = random.Next(Centroids);
        }

        return codes;
    }

    /// <summary>The process's peak resident set (VmHWM), or -1 where /proc is not there.</summary>
    private static long PeakResidentBytes()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path))
        {
            return -1;
        }

        string? line = File.ReadLines(path).FirstOrDefault(text => text.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
