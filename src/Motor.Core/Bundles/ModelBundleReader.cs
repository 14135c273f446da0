using System.Security.Cryptography;
using System.Text;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Core.Tokenization;

namespace Motor.Core.Bundles;

/// <summary>
/// Loads and verifies a bundle directory: format version, the manifest's own seal, the presence, size and SHA-256 of
/// every file, and the shapes of all arrays against the manifest. Any problem is a <see cref="BundleException"/> whose
/// one-line message names the file and the mismatch.
/// </summary>
public static class ModelBundleReader
{
    public static ModelBundle Load(string directory)
    {
        string manifestPath = Path.Combine(directory, BundleFileNames.Manifest);
        if (!Directory.Exists(directory))
        {
            throw new BundleException(directory, "bundle directory not found");
        }

        if (!File.Exists(manifestPath))
        {
            throw new BundleException(manifestPath, "missing");
        }

        BundleManifest manifest = BundleManifestSerializer.Deserialize(File.ReadAllBytes(manifestPath), manifestPath);
        ValidateManifest(manifest, manifestPath);
        VerifyFiles(directory, manifest, manifestPath);
        return LoadContents(directory, manifest, manifestPath);
    }

    private static void ValidateManifest(BundleManifest manifest, string manifestPath)
    {
        void Require(bool condition, string problem)
        {
            if (!condition)
            {
                throw new BundleException(manifestPath, problem);
            }
        }

        Require(manifest.ItemRepresentation is "id" or "motor", $"itemRepresentation '{manifest.ItemRepresentation}' is neither 'id' nor 'motor'");
        Require(manifest.EmbeddingSize > 0, $"embeddingSize {manifest.EmbeddingSize} must be positive");
        Require(manifest.VectorSize > 0, $"vectorSize {manifest.VectorSize} must be positive");
        Require(manifest.Dataset is not null, "dataset is missing");
        Require(manifest.Dataset!.Users >= 0 && manifest.Dataset.Items >= 0, $"dataset users {manifest.Dataset.Users} / items {manifest.Dataset.Items} must not be negative");
        Require(manifest.Modalities is not null && manifest.Files is not null, "modalities or files missing");

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (BundleModality modality in manifest.Modalities!)
        {
            Require(BundleFileNames.IsValidModalityName(modality.Name), $"modality name '{modality.Name}' may use letters, digits, '-' and '_' only");
            Require(names.Add(modality.Name), $"modality '{modality.Name}' is listed twice");
            Require(modality.Dimension > 0, $"modality '{modality.Name}': dimension {modality.Dimension} must be positive");
        }

        if (manifest.HasItemEncoder)
        {
            Require(manifest.Quantization is not null, "a 'motor' bundle needs 'quantization'");
            Require(manifest.Modalities!.Count > 0, "a 'motor' bundle needs at least one modality");
            BundleQuantization quantization = manifest.Quantization!;
            Require(quantization.SubspaceCount > 0 && quantization.CentroidCount > 0, $"quantization M = {quantization.SubspaceCount}, K = {quantization.CentroidCount} must be positive");
            foreach (BundleModality modality in manifest.Modalities!)
            {
                Require(modality.Dimension % quantization.SubspaceCount == 0, $"modality '{modality.Name}': M = {quantization.SubspaceCount} does not divide the dimension {modality.Dimension}");
            }

            Require(manifest.EncoderInputs.Count > 0 && manifest.EncoderInputs[0] == "tokens", "encoderInputs must start with 'tokens' in a 'motor' bundle");
            Require(manifest.EncoderInputs.Contains("features") == (manifest.EncoderFeatures is not null), "encoderFeatures must be given exactly when encoderInputs has 'features'");
        }
        else
        {
            Require(manifest.EncoderInputs.Count == 0, "an 'id' bundle has no item encoder, but encoderInputs is not empty");
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (BundleFile file in manifest.Files!)
        {
            Require(IsSafeRelativePath(file.Path), $"file path '{file.Path}' must be a plain relative path inside the bundle");
            Require(paths.Add(file.Path), $"file '{file.Path}' is listed twice");
        }

        foreach (string required in RequiredFiles(manifest))
        {
            Require(paths.Contains(required), $"file '{required}' is not listed");
        }
    }

    private static IEnumerable<string> RequiredFiles(BundleManifest manifest)
    {
        yield return BundleFileNames.UserVectors;
        yield return BundleFileNames.ItemVectors;
        yield return BundleFileNames.TrainingItems;
        yield return BundleFileNames.UserIds;
        yield return BundleFileNames.ItemIds;
        if (!manifest.HasItemEncoder)
        {
            yield break;
        }

        yield return BundleFileNames.ItemTokens;
        yield return BundleFileNames.ItemEncoder;
        foreach (BundleModality modality in manifest.Modalities)
        {
            yield return BundleFileNames.Codebook(modality.Name);
            if (manifest.Quantization!.Opq)
            {
                yield return BundleFileNames.Rotation(modality.Name);
            }

            if (modality.MeanCenter)
            {
                yield return BundleFileNames.FeatureMean(modality.Name);
            }
        }
    }

    private static bool IsSafeRelativePath(string path)
        => path.Length > 0
            && !Path.IsPathRooted(path)
            && path != BundleFileNames.Manifest
            && !path.Split('/', '\\').Any(part => part is "" or "." or "..");

    private static void VerifyFiles(string directory, BundleManifest manifest, string manifestPath)
    {
        foreach (BundleFile file in manifest.Files)
        {
            string path = Path.Combine(directory, file.Path);
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new BundleException(path, $"missing (listed in {BundleFileNames.Manifest})");
            }

            if (info.Length != file.Bytes)
            {
                throw new BundleException(path, $"size mismatch (manifest {file.Bytes} bytes, file {info.Length} bytes)");
            }

            string actual;
            using (FileStream stream = info.OpenRead())
            {
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            }

            if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new BundleException(path, $"SHA-256 mismatch (manifest {BundleManifestSerializer.Abbreviate(file.Sha256)}, file {BundleManifestSerializer.Abbreviate(actual)})");
            }
        }
    }

    private static ModelBundle LoadContents(string directory, BundleManifest manifest, string manifestPath)
    {
        int users = manifest.Dataset.Users;
        int items = manifest.Dataset.Items;
        int vectorSize = manifest.VectorSize;

        NpyArray userVectors = ReadNpy(directory, BundleFileNames.UserVectors);
        ExpectShape(directory, BundleFileNames.UserVectors, userVectors, users, vectorSize, $"dataset.users {users} x vectorSize {vectorSize}");
        NpyArray itemVectors = ReadNpy(directory, BundleFileNames.ItemVectors);
        ExpectShape(directory, BundleFileNames.ItemVectors, itemVectors, items, vectorSize, $"dataset.items {items} x vectorSize {vectorSize}");

        string trainingPath = Path.Combine(directory, BundleFileNames.TrainingItems);
        CsrMatrix training;
        using (FileStream stream = File.OpenRead(trainingPath))
        {
            training = CsrMatrixFile.Read(stream, trainingPath);
        }

        if (training.RowCount != users || training.ColumnCount != items)
        {
            throw new BundleException(trainingPath, $"{training.RowCount} x {training.ColumnCount} does not match the manifest (dataset.users {users} x dataset.items {items})");
        }

        IReadOnlyList<string> userIds = ReadIds(directory, BundleFileNames.UserIds, users, "dataset.users");
        IReadOnlyList<string> itemIds = ReadIds(directory, BundleFileNames.ItemIds, items, "dataset.items");

        var codebooks = new List<PqCodebook>();
        var means = new List<float[]?>();
        TokenTable? tokens = null;
        string? encoderPath = null;
        if (manifest.HasItemEncoder)
        {
            BundleQuantization quantization = manifest.Quantization!;
            foreach (BundleModality modality in manifest.Modalities)
            {
                codebooks.Add(ReadCodebook(directory, modality, quantization));
                means.Add(modality.MeanCenter ? ReadMean(directory, modality) : null);
            }

            tokens = ReadTokens(directory, manifest, items);
            encoderPath = Path.Combine(directory, BundleFileNames.ItemEncoder);
        }

        return new ModelBundle
        {
            DirectoryPath = directory,
            Manifest = manifest,
            UserVectors = userVectors.Values,
            ItemVectors = itemVectors.Values,
            TrainingItemsByUser = training,
            UserExternalIds = userIds,
            ItemExternalIds = itemIds,
            Codebooks = codebooks,
            FeatureMeans = means,
            ItemTokens = tokens,
            ItemEncoderPath = encoderPath,
        };
    }

    private static PqCodebook ReadCodebook(string directory, BundleModality modality, BundleQuantization quantization)
    {
        string name = BundleFileNames.Codebook(modality.Name);
        NpyArray centroids = ReadNpy(directory, name);
        int subspaceDimension = modality.Dimension / quantization.SubspaceCount;
        ExpectShape(directory, name, centroids, quantization.SubspaceCount * quantization.CentroidCount, subspaceDimension,
            $"M {quantization.SubspaceCount} x K {quantization.CentroidCount} rows of dimension {modality.Dimension} / M = {subspaceDimension}");

        float[]? rotation = null;
        if (quantization.Opq)
        {
            string rotationName = BundleFileNames.Rotation(modality.Name);
            NpyArray rotationArray = ReadNpy(directory, rotationName);
            ExpectShape(directory, rotationName, rotationArray, modality.Dimension, modality.Dimension, $"modality '{modality.Name}' dimension {modality.Dimension} squared");
            rotation = rotationArray.Values;
        }

        return new PqCodebook(modality.Name, modality.Dimension, quantization.SubspaceCount, quantization.CentroidCount, centroids.Values, rotation);
    }

    private static float[] ReadMean(string directory, BundleModality modality)
    {
        string name = BundleFileNames.FeatureMean(modality.Name);
        NpyArray mean = ReadNpy(directory, name);
        ExpectShape(directory, name, mean, 1, modality.Dimension, $"1 x modality '{modality.Name}' dimension {modality.Dimension}");
        return mean.Values;
    }

    private static TokenTable ReadTokens(string directory, BundleManifest manifest, int items)
    {
        string path = Path.Combine(directory, BundleFileNames.ItemTokens);
        BundleQuantization quantization = manifest.Quantization!;
        int tokensPerItem = manifest.Modalities.Count * quantization.SubspaceCount;
        TokenTable table;
        try
        {
            using FileStream stream = File.OpenRead(path);
            table = TokenTable.Read(stream, path);
        }
        catch (Exception exception) when (exception is DatasetFormatException or InvalidDataException or EndOfStreamException or ArgumentException)
        {
            throw new BundleException(path, ProblemOf(exception, path), exception);
        }

        if (table.ItemCount != items || table.TokensPerItem != tokensPerItem || table.CentroidCount != quantization.CentroidCount)
        {
            throw new BundleException(path,
                $"{table.ItemCount} items x {table.TokensPerItem} tokens (K {table.CentroidCount}) does not match the manifest (dataset.items {items} x {manifest.Modalities.Count} modalities * M {quantization.SubspaceCount}, K {quantization.CentroidCount})");
        }

        return table;
    }

    private static NpyArray ReadNpy(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        try
        {
            return NpyFile.Read(path);
        }
        catch (DatasetFormatException exception)
        {
            throw new BundleException(path, exception.Problem, exception);
        }
    }

    private static void ExpectShape(string directory, string name, NpyArray array, int rows, int columns, string expected)
    {
        if (array.Rows != rows || array.Columns != columns)
        {
            throw new BundleException(Path.Combine(directory, name), $"shape {array.Rows} x {array.Columns} does not match the manifest ({expected})");
        }
    }

    private static IReadOnlyList<string> ReadIds(string directory, string name, int expectedCount, string field)
    {
        string path = Path.Combine(directory, name);
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException exception)
        {
            throw new BundleException(path, "not valid UTF-8", exception);
        }

        string[] lines = text.Split('\n');
        int count = text.Length == 0 ? 0 : text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        if (count != expectedCount)
        {
            throw new BundleException(path, $"{count} IDs do not match the manifest ({field} {expectedCount})");
        }

        var ids = new string[count];
        var seen = new HashSet<string>(count, StringComparer.Ordinal);
        for (int index = 0; index < count; index++)
        {
            string id = lines[index];
            if (id.Length == 0 || !seen.Add(id))
            {
                throw new BundleException(path, $"line {index + 1}: {(id.Length == 0 ? "empty ID" : $"duplicate ID '{id}'")}");
            }

            ids[index] = id;
        }

        return ids;
    }

    private static string ProblemOf(Exception exception, string path)
        => exception is DatasetFormatException format ? format.Problem
            : exception.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? exception.Message[(path.Length + 2)..]
            : exception.Message;
}
