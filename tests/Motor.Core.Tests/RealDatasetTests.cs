using System.Diagnostics;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Xunit.Abstractions;

namespace Motor.Core.Tests;

public sealed class RealDatasetTests(ITestOutputHelper output)
{
    [Fact]
    public void TiktokStatistics()
    {
        string? folder = RealDatasets.Find("tiktok", output);
        if (folder is null)
        {
            return;
        }

        Stopwatch watch = Stopwatch.StartNew();
        InteractionDataset dataset = DatasetLoader.Load(folder);
        TimeSpan loading = watch.Elapsed;
        output.WriteLine($"tiktok loaded in {loading.TotalMilliseconds:F0} ms (shared machine, noisy)");

        Assert.Equal("tiktok", dataset.Name);
        Assert.Equal(9308, dataset.UserCount);
        Assert.Equal(6710, dataset.ItemCount);
        Assert.Equal(68722, dataset.InteractionCount);
        Assert.Equal((59541, 3051, 6130), (dataset.Train.Count, dataset.Valid.Count, dataset.Test.Count));
        Assert.Equal(["audio", "image"], dataset.Modalities.Select(modality => modality.Name));
        Assert.All(dataset.Modalities, modality =>
        {
            Assert.Equal(128, modality.Dimension);
            Assert.Equal(NpyDataType.Float16, modality.StoredType);
            Assert.Equal(6710, modality.Array.Rows);
        });
        Assert.Equal(465, dataset.ColdItems.Length);
        Assert.Equal(10, dataset.UsersWithoutTraining.Length);
        Assert.Equal(59541, dataset.TrainByUser.NonZeroCount);
        HashSet<int> trainingItems = [.. dataset.Train.Items];
        Assert.All(dataset.ColdItems, item => Assert.DoesNotContain(item, trainingItems));
        Assert.Equal(6710 - 465, trainingItems.Count);

        // A generous bound: it only catches a pathological slowdown, the machine running the tests may be shared.
        Assert.True(loading < TimeSpan.FromSeconds(10), $"loading took {loading}");
    }

    [Fact]
    public void BabyStatistics()
    {
        string? folder = RealDatasets.Find("baby", output);
        if (folder is null)
        {
            return;
        }

        InteractionDataset dataset = DatasetLoader.Load(folder);

        Assert.Equal(19445, dataset.UserCount);
        Assert.Equal(7050, dataset.ItemCount);
        Assert.Equal(160792, dataset.InteractionCount);
        Assert.Equal((119674, 20559, 20559), (dataset.Train.Count, dataset.Valid.Count, dataset.Test.Count));
        Assert.Empty(dataset.Modalities);
        output.WriteLine($"baby: {dataset.ColdItems.Length} cold items, {dataset.UsersWithoutTraining.Length} users without training");
    }
}
