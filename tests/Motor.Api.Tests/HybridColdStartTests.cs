using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Trainer.Devices;
using Motor.Trainer.Export;
using Motor.Trainer.Items;
using Motor.Testing;
using Motor.Trainer.Training;
using Xunit.Abstractions;

namespace Motor.Api.Tests;

/// <summary>
/// PROTOCOL.md's hybrid view end to end: a bundle trained and exported without the cold-test items, the service started on
/// it, the cold-test items ingested through POST /v1/items/batch, and the hybrid Recall@20 computed from the HTTP answers
/// of GET /v1/users/{id}/recommendations must equal the trainer's offline figure.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class HybridColdStartTests(ApiEnvironment environment, ITestOutputHelper output)
{
    [Theory]
    [InlineData("bpr")]
    [InlineData("lightgcn")]
    [InlineData("freedom")]
    public async Task Hybrid_recall_from_the_api_equals_the_offline_evaluator(string backbone)
    {
        InteractionDataset dataset = DatasetLoader.Load(environment.DatasetPath);
        // A small MOTOR model of this test's own, so it does not depend on the service's first-run code.
        var config = new RunConfig
        {
            Backbone = backbone,
            Items = "motor",
            EmbeddingSize = 32,
            CentroidCount = 32,
            Encoder = new MotorEncoderOptions { Dimension = 32, CrossLayers = 1 },
            ColdItems = 0.25,
            Training = new TrainingOptions { MaxEpochs = 40, Patience = 8, BatchSize = 1024, LearningRate = 5e-3, Seed = 999 },
        };
        string run = Path.Combine(environment.Root, $"hybrid-{backbone}", "run");
        string bundle = Path.Combine(environment.Root, $"hybrid-{backbone}", "bundle");
        RunMetrics metrics = TrainingRun.Execute(dataset, config, TorchDevice.CpuDevice, run);
        BundleExporter.Export(TrainingRunDirectory.Load(run), dataset, bundle, withoutColdTest: true);
        ItemHoldout holdout = ItemHoldout.Create(dataset, config.ColdItems, config.Training.Seed);

        await using MotorApiFactory app = await environment.CreateEmbedded(new Dictionary<string, string?> { ["Motor:BundlePath"] = bundle }).StartAsync();
        HttpClient client = app.CreateKeyedClient();
        Dictionary<string, NpyArray> features = dataset.Modalities.ToDictionary(modality => modality.Name, modality => NpyFile.Read(modality.FilePath));
        var items = holdout.ColdTestItems.Select(item => new
        {
            itemId = HybridRecallOverHttp.Id(item),
            features = features.ToDictionary(pair => pair.Key, pair => pair.Value.Row(item).ToArray()),
        }).ToList();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/items/{items[0].itemId}")).StatusCode);

        var clock = Stopwatch.StartNew();
        HttpResponseMessage ingested = await client.PostAsJsonAsync("/v1/items/batch", new { items });
        clock.Stop();
        Assert.Equal(HttpStatusCode.OK, ingested.StatusCode);
        Assert.Equal(items.Count, (await ingested.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("created").GetInt32());

        (double online, int users) = await HybridRecallOverHttp.MeasureAsync(client, holdout.ColdTestTargets);
        double offline = metrics.ColdStart!.Hybrid["recall@20"];
        output.WriteLine($"{backbone}: hybrid Recall@20 from HTTP {online:F6}, offline {offline:F6}, {users} users, {items.Count} items ingested in {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(metrics.ColdStart.ColdTestUsers, users);
        Assert.True(offline > 0, "the check means nothing if no cold-test item is ever recommended");
        Assert.Equal(offline, online, 3);
    }
}
