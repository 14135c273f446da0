using Motor.Core.Bundles;
using Motor.Core.Tokenization;
using Motor.Inference.Encoding;
using Motor.Trainer.Demo;
using Motor.Trainer.Tests.Training;
using Xunit.Abstractions;

namespace Motor.Trainer.Tests.Demo;

/// <summary>
/// The service ships src/Motor.Api/demo-bundle instead of training at start. This test runs what
/// <c>motor-trainer demo-bundle</c> runs and checks that the committed bundle is what that command makes today: same
/// data, tokens and ids exactly, same vectors and encoder outputs to 1e-4 (the bytes are identical on the machines
/// tried, across torch thread counts; the tolerance only covers other CPUs' float kernels). When the demo model or the
/// bundle format changes on purpose, regenerate it with the command in the failure message.
/// </summary>
[Collection(TorchTestCollection.Name)]
public sealed class DemoBundleRegenerationTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    [Fact]
    public void Committed_demo_bundle_is_what_the_demo_bundle_command_makes()
    {
        string committedPath = Path.Combine(RepositoryPaths.Root, "src", "Motor.Api", "demo-bundle");
        string work = Path.Combine(Path.GetTempPath(), $"motor-demo-test-{Guid.NewGuid():N}");
        try
        {
            string regeneratedPath = Path.Combine(work, "demo-bundle");
            DemoBundleTrainer.Build(work, regeneratedPath, _ => { }, CancellationToken.None);
            ModelBundle committed = ModelBundleReader.Load(committedPath);
            ModelBundle regenerated = ModelBundleReader.Load(regeneratedPath);
            const string regenerate = "regenerate it: dotnet run --project src/Motor.Trainer -- demo-bundle --out src/Motor.Api/demo-bundle";

            BundleManifest expected = committed.Manifest;
            BundleManifest actual = regenerated.Manifest;
            Assert.True(expected.Version == actual.Version, $"version {actual.Version} != committed {expected.Version}; {regenerate}");
            Assert.True(expected.Dataset == actual.Dataset, $"dataset {actual.Dataset} != committed {expected.Dataset}; {regenerate}");
            Assert.True(expected.Modalities.SequenceEqual(actual.Modalities), $"modalities differ; {regenerate}");
            Assert.True(expected.Quantization == actual.Quantization, $"quantization differs; {regenerate}");
            Assert.True((expected.Backbone, expected.ItemRepresentation, expected.EmbeddingSize, expected.VectorSize) == (actual.Backbone, actual.ItemRepresentation, actual.EmbeddingSize, actual.VectorSize), $"model shape differs; {regenerate}");
            Assert.True(expected.Files.Select(file => file.Path).SequenceEqual(actual.Files.Select(file => file.Path)), $"bundle files differ; {regenerate}");

            Assert.Equal(committed.UserExternalIds, regenerated.UserExternalIds);
            Assert.Equal(committed.ItemExternalIds, regenerated.ItemExternalIds);
            Assert.Equal(committed.TrainingItemsByUser.RowOffsets, regenerated.TrainingItemsByUser.RowOffsets);
            Assert.Equal(committed.TrainingItemsByUser.Columns, regenerated.TrainingItemsByUser.Columns);
            long[] tokens = AllTokens(committed.ItemTokens!);
            Assert.Equal(tokens, AllTokens(regenerated.ItemTokens!));

            AssertClose("user vectors", committed.UserVectors, regenerated.UserVectors);
            AssertClose("item vectors", committed.ItemVectors, regenerated.ItemVectors);
            for (int index = 0; index < committed.Codebooks.Count; index++)
            {
                AssertClose($"codebook {index}", committed.Codebooks[index].Centroids, regenerated.Codebooks[index].Centroids);
            }

            using ItemEncoderSession committedEncoder = ItemEncoderSession.Open(committed, ExecutionProviderPreference.Cpu);
            using ItemEncoderSession regeneratedEncoder = ItemEncoderSession.Open(regenerated, ExecutionProviderPreference.Cpu);
            AssertClose("encoder outputs", committedEncoder.Encode(tokens, [], committed.ItemCount), regeneratedEncoder.Encode(tokens, [], committed.ItemCount));

            int identical = expected.Files.Zip(actual.Files).Count(pair => pair.First.Sha256 == pair.Second.Sha256);
            output.WriteLine($"{identical} of {expected.Files.Count} files byte-identical to the committed bundle");
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    [Fact]
    public void Demo_bundle_command_writes_the_bundle_and_switches_the_current_link()
    {
        string root = Path.Combine(Path.GetTempPath(), $"motor-demo-cli-{Guid.NewGuid():N}");
        try
        {
            string current = Path.Combine(root, "current");
            (int code, string stdout, string stderr) = CliTests.Run(["demo-bundle", "--out", Path.Combine(root, "demo-v1"), "--current", current]);
            Assert.True(code == 0, stderr);
            Assert.Contains("demo-v1", stdout);
            Assert.Equal(Path.Combine(root, "demo-v1"), BundleLink.Resolve(current));
            Assert.Equal("demo-v1", ModelBundleReader.Load(current).Manifest.Version);

            (code, _, stderr) = CliTests.Run(["demo-bundle", "--out", Path.Combine(root, "demo-v2"), "--current", Path.Combine(root, "demo-v1")]);
            Assert.Equal(1, code);
            Assert.StartsWith("error: ", stderr);
            Assert.Contains("not a link", stderr);
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static long[] AllTokens(TokenTable table)
    {
        long[] tokens = new long[table.ItemCount * table.TokensPerItem];
        for (int item = 0; item < table.ItemCount; item++)
        {
            table.CopyItem(item, tokens.AsSpan(item * table.TokensPerItem, table.TokensPerItem));
        }

        return tokens;
    }

    private void AssertClose(string what, float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float largest = 0;
        for (int index = 0; index < expected.Length; index++)
        {
            largest = Math.Max(largest, Math.Abs(expected[index] - actual[index]));
        }

        output.WriteLine($"{what}: max abs difference {largest:E2}");
        Assert.True(largest <= Tolerance, $"{what} differ from the committed demo bundle by up to {largest:E2}; regenerate it: dotnet run --project src/Motor.Trainer -- demo-bundle --out src/Motor.Api/demo-bundle");
    }
}
