using System.Security.Cryptography;
using System.Text;
using Motor.Core.Features;

namespace Motor.Core.Bundles;

/// <summary>
/// Writes a bundle directory: every file, then manifest.json with the SHA-256 and size of each. The bundle is written
/// beside the target, verified with <see cref="ModelBundleReader"/>, and only then moved into place, so a reader never
/// sees a half-written bundle and a bundle that would not load is never published.
/// </summary>
public static class ModelBundleWriter
{
    /// <returns>The bundle as loaded back from <paramref name="directory"/>.</returns>
    /// <exception cref="IOException"><paramref name="directory"/> exists and <paramref name="overwrite"/> is false.</exception>
    public static ModelBundle Write(string directory, ModelBundleContents contents, bool overwrite = false)
    {
        string target = Path.GetFullPath(directory);
        if (Directory.Exists(target) && !overwrite)
        {
            throw new IOException($"{directory}: already exists (choose another version or overwrite it explicitly)");
        }

        string parent = Path.GetDirectoryName(target.TrimEnd(Path.DirectorySeparatorChar)) ?? ".";
        Directory.CreateDirectory(parent);
        string staging = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            WriteFiles(staging, contents);

            // Verifies everything the API will check; errors name the staging folder, which is what was written.
            ModelBundleReader.Load(staging);

            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            Directory.Move(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }

        return ModelBundleReader.Load(directory);
    }

    private static void WriteFiles(string directory, ModelBundleContents contents)
    {
        BundleManifest manifest = contents.Manifest;
        var files = new List<BundleFile>();

        void Add(string name, Action<Stream> write)
        {
            string path = Path.Combine(directory, name);
            using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
            }

            files.Add(Describe(directory, name));
        }

        void AddNpy(string name, ReadOnlySpan<float> values, int rows, int columns)
        {
            NpyFile.Write(Path.Combine(directory, name), values, rows, columns);
            files.Add(Describe(directory, name));
        }

        int vectorSize = manifest.VectorSize;
        AddNpy(BundleFileNames.UserVectors, contents.UserVectors, RowsOf(contents.UserVectors, vectorSize, "user vectors"), vectorSize);
        AddNpy(BundleFileNames.ItemVectors, contents.ItemVectors, RowsOf(contents.ItemVectors, vectorSize, "item vectors"), vectorSize);
        Add(BundleFileNames.TrainingItems, stream => CsrMatrixFile.Write(stream, contents.TrainingItemsByUser));
        Add(BundleFileNames.UserIds, stream => WriteIds(stream, contents.UserExternalIds, "user"));
        Add(BundleFileNames.ItemIds, stream => WriteIds(stream, contents.ItemExternalIds, "item"));

        for (int index = 0; index < contents.Codebooks.Count; index++)
        {
            var codebook = contents.Codebooks[index];
            AddNpy(BundleFileNames.Codebook(codebook.Modality), codebook.Centroids, codebook.SubspaceCount * codebook.CentroidCount, codebook.SubspaceDimension);
            if (codebook.Rotation is not null)
            {
                AddNpy(BundleFileNames.Rotation(codebook.Modality), codebook.Rotation, codebook.Dimension, codebook.Dimension);
            }

            if (index < contents.FeatureMeans.Count && contents.FeatureMeans[index] is { } mean)
            {
                AddNpy(BundleFileNames.FeatureMean(codebook.Modality), mean, 1, mean.Length);
            }
        }

        if (contents.ItemTokens is not null)
        {
            Add(BundleFileNames.ItemTokens, contents.ItemTokens.Write);
        }

        if (contents.WriteItemEncoder is not null)
        {
            Add(BundleFileNames.ItemEncoder, contents.WriteItemEncoder);
        }

        byte[] manifestBytes = BundleManifestSerializer.Serialize(manifest with { FormatVersion = BundleManifest.CurrentFormatVersion, Files = files });
        File.WriteAllBytes(Path.Combine(directory, BundleFileNames.Manifest), manifestBytes);
    }

    /// <summary>The manifest entry of one written file.</summary>
    public static BundleFile Describe(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        using FileStream stream = File.OpenRead(path);
        string hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new BundleFile(name, hash, stream.Length);
    }

    private static int RowsOf(float[] values, int vectorSize, string what)
    {
        if (vectorSize <= 0 || values.Length % vectorSize != 0)
        {
            throw new ArgumentException($"{what}: {values.Length} values are not a multiple of the vector size {vectorSize}");
        }

        return values.Length / vectorSize;
    }

    private static void WriteIds(Stream stream, IReadOnlyList<string> ids, string kind)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        for (int index = 0; index < ids.Count; index++)
        {
            string id = ids[index];
            if (id.Length == 0 || id.AsSpan().IndexOfAny('\n', '\r') >= 0 || id.Trim().Length != id.Length)
            {
                throw new ArgumentException($"{kind} {index}: external ID '{id}' is empty, has a line break or surrounding white space");
            }

            writer.WriteLine(id);
        }
    }
}
