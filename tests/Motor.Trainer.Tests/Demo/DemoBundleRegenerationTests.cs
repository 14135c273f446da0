using Motor.Core.Bundles;
using Motor.Core.Tokenization;
using Motor.Inference.Encoding;
using Motor.Trainer.Demo;
using Motor.Trainer.Tests.Training;
using Xunit.Abstractions;

namespace Motor.Trainer.Tests.Demo;

/// <summary>
/// The service never trains: run-demo.sh and the API image make the demo bundle with <c>motor-trainer demo-bundle</c>.
/// This test runs what that command runs twice and checks that it makes the same bundle every time: same data, tokens
/// and ids exactly, same vectors and encoder outputs to 1e-4 (the bytes are identical on the machines tried, across
/// torch thread counts; the tolerance only covers other CPUs' float kernels).
/// </summary>
[Collection(TorchTestCollection.Name)]
public sealed class DemoBundleRegenerationTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    [Fact]
    public void Demo_bundle_command_makes_the_same_bundle_every_time()
    {
        string work = Path.Combine(Path.GetTempPath(), $"motor-demo-test-{Guid.NewGuid():N}");
        try
        {
            string firstPath = Path.Combine(work, "first", "demo-bundle");
            DemoBundleTrainer.Build(Path.Combine(work, "first"), firstPath, _ => { }, CancellationToken.None);
            string regeneratedPath = Path.Combine(work, "second", "demo-bundle");
            DemoBundleTrainer.Build(Path.Combine(work, "second"), regeneratedPath, _ => { }, CancellationToken.None);
            ModelBundle first = ModelBundleReader.Load(firstPath);
            ModelBundle regenerated = ModelBundleReader.Load(regeneratedPath);
            const string regenerate = "the demo bundle is not reproducible";

            BundleManifest expected = first.Manifest;
            BundleManifest actual = regenerated.Manifest;
            Assert.True(expected.Version == actual.Version, $"version {actual.Version} != first {expected.Version}; {regenerate}");
            Assert.True(expected.Dataset == actual.Dataset, $"dataset {actual.Dataset} != first {expected.Dataset}; {regenerate}");
            Assert.True(expected.Modalities.SequenceEqual(actual.Modalities), $"modalities differ; {regenerate}");
            Assert.True(expected.Quantization == actual.Quantization, $"quantization differs; {regenerate}");
            Assert.True((expected.Backbone, expected.ItemRepresentation, expected.EmbeddingSize, expected.VectorSize) == (actual.Backbone, actual.ItemRepresentation, actual.EmbeddingSize, actual.VectorSize), $"model shape differs; {regenerate}");
            Assert.True(expected.Files.Select(file => file.Path).SequenceEqual(actual.Files.Select(file => file.Path)), $"bundle files differ; {regenerate}");

            Assert.Equal(first.UserExternalIds, regenerated.UserExternalIds);
            Assert.Equal(first.ItemExternalIds, regenerated.ItemExternalIds);
            Assert.Equal(first.TrainingItemsByUser.RowOffsets, regenerated.TrainingItemsByUser.RowOffsets);
            Assert.Equal(first.TrainingItemsByUser.Columns, regenerated.TrainingItemsByUser.Columns);
            long[] tokens = AllTokens(first.ItemTokens!);
            Assert.Equal(tokens, AllTokens(regenerated.ItemTokens!));

            AssertClose("user vectors", first.UserVectors, regenerated.UserVectors);
            AssertClose("item vectors", first.ItemVectors, regenerated.ItemVectors);
            for (int index = 0; index < first.Codebooks.Count; index++)
            {
                AssertClose($"codebook {index}", first.Codebooks[index].Centroids, regenerated.Codebooks[index].Centroids);
            }

            using ItemEncoderSession firstEncoder = ItemEncoderSession.Open(first, ExecutionProviderPreference.Cpu);
            using ItemEncoderSession regeneratedEncoder = ItemEncoderSession.Open(regenerated, ExecutionProviderPreference.Cpu);
            AssertClose("encoder outputs", firstEncoder.Encode(tokens, [], first.ItemCount), regeneratedEncoder.Encode(tokens, [], first.ItemCount));

            int identical = expected.Files.Zip(actual.Files).Count(pair => pair.First.Sha256 == pair.Second.Sha256);
            output.WriteLine($"{identical} of {expected.Files.Count} files byte-identical between the two runs");
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
        Assert.True(largest <= Tolerance, $"{what} differ between two runs of demo-bundle by up to {largest:E2}");
    }
}
