using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Motor.Core.Features;

namespace Motor.Core.Datasets;

public sealed record DatasetLoadOptions
{
    /// <summary>Load the feature arrays (false: interactions only, e.g. for statistics of huge folders; Modalities is then empty).</summary>
    public bool LoadFeatures { get; init; } = true;
}

/// <summary>Loads a dataset folder: <c>&lt;name&gt;.inter</c> and the modalities (<c>dataset.json</c> or <c>*_feat.npy</c>).</summary>
/// <remarks>
/// <c>dataset.json</c> (optional): <c>{"name": "tiktok", "interactions": "tiktok.inter", "modalities": [{"name": "image",
/// "file": "image_feat.npy", "missingItems": [3, 17], "featurizer": {"input": "image", "name": "resnet18", "version": "...",
/// "dimension": 512, "modelSha256": "..."}}]}</c>. Every field is optional; without "interactions" the folder must
/// hold exactly one <c>*.inter</c>; without "modalities" every <c>*_feat.npy</c> is a modality named by its prefix, sorted by name.
/// "featurizer" names the model that computed the modality from raw content (motor-trainer featurize writes it).
/// </remarks>
public static class DatasetLoader
{
    public const string DescriptorFileName = "dataset.json";

    private const string FeatureSuffix = "_feat.npy";
    private const string UserColumn = "userID";
    private const string ItemColumn = "itemID";
    private const string LabelColumn = "x_label";
    private static readonly string[] s_requiredColumns = [UserColumn, ItemColumn, LabelColumn];
    private static readonly string[] s_optionalColumns = ["rating", "timestamp"];

    /// <summary>Throws <see cref="DatasetFormatException"/> for every kind of bad input, naming file and line/row.</summary>
    public static InteractionDataset Load(string directory, DatasetLoadOptions? options = null)
    {
        options ??= new DatasetLoadOptions();
        string fullDirectory = Path.GetFullPath(directory);
        if (!Directory.Exists(fullDirectory))
        {
            throw new DatasetFormatException(fullDirectory, "dataset folder not found");
        }

        Descriptor descriptor = ReadDescriptor(fullDirectory);
        string interPath = FindInteractionFile(fullDirectory, descriptor);
        List<ModalitySource> modalitySources = FindModalities(fullDirectory, descriptor);

        Interactions interactions = ReadInteractions(interPath);
        int userCount = interactions.MaxUser + 1;
        int itemCount = interactions.MaxItem + 1;

        InteractionSplit train = interactions.Splits[0];
        InteractionSplit valid = interactions.Splits[1];
        InteractionSplit test = interactions.Splits[2];
        if (train.Count == 0)
        {
            throw new DatasetFormatException(interPath, "the training split is empty: no line has x_label 0");
        }

        if (test.Count == 0)
        {
            throw new DatasetFormatException(interPath, "the test split is empty: no line has x_label 2");
        }

        List<ModalityFeatures> modalities = [];
        if (options.LoadFeatures)
        {
            foreach (ModalitySource source in modalitySources)
            {
                modalities.Add(ReadModality(source, itemCount, interPath));
            }
        }

        List<string> hashedFiles = [interPath, .. modalitySources.Select(source => source.FilePath)];
        if (descriptor.FilePath is not null)
        {
            hashedFiles.Add(descriptor.FilePath);
        }

        return InteractionDataset.FromSplits(
            descriptor.Name ?? Path.GetFileName(fullDirectory.TrimEnd(Path.DirectorySeparatorChar)),
            fullDirectory,
            userCount,
            itemCount,
            train,
            valid,
            test,
            modalities,
            ComputeContentHash(hashedFiles));
    }

    /// <summary>SHA-256 (hex) over the files sorted by name: for each, its name, its length and its bytes.</summary>
    internal static string ComputeContentHash(IEnumerable<string> filePaths)
    {
        using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (string path in filePaths.Distinct().OrderBy(Path.GetFileName, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(path)));
            hash.AppendData([0]);
            byte[] bytes = File.ReadAllBytes(path);
            BitConverter.TryWriteBytes(length, (long)bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static Descriptor ReadDescriptor(string directory)
    {
        string path = Path.Combine(directory, DescriptorFileName);
        if (!File.Exists(path))
        {
            return new Descriptor(null, null, null, null);
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DatasetFormatException(path, "expected a JSON object");
            }

            string? name = OptionalString(root, "name", path);
            string? interactions = OptionalString(root, "interactions", path);
            List<ModalitySource>? modalities = null;
            if (root.TryGetProperty("modalities", out JsonElement modalityArray))
            {
                if (modalityArray.ValueKind != JsonValueKind.Array)
                {
                    throw new DatasetFormatException(path, "'modalities' must be an array of {\"name\", \"file\", \"missingItems\"} objects");
                }

                modalities = [];
                int index = 0;
                foreach (JsonElement modality in modalityArray.EnumerateArray())
                {
                    string field = $"modalities[{index}]";
                    if (modality.ValueKind != JsonValueKind.Object)
                    {
                        throw new DatasetFormatException(path, $"'{field}' must be an object with \"name\" and \"file\"");
                    }

                    string modalityName = OptionalString(modality, "name", path)
                        ?? throw new DatasetFormatException(path, $"'{field}.name' is missing");
                    string file = OptionalString(modality, "file", path)
                        ?? throw new DatasetFormatException(path, $"'{field}.file' is missing");
                    if (modalities.Any(existing => existing.Name == modalityName))
                    {
                        throw new DatasetFormatException(path, $"modality '{modalityName}' is listed twice");
                    }

                    int[] missing = [];
                    if (modality.TryGetProperty("missingItems", out JsonElement missingArray))
                    {
                        if (missingArray.ValueKind != JsonValueKind.Array
                            || missingArray.EnumerateArray().Any(element => element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out int id) || id < 0))
                        {
                            throw new DatasetFormatException(path, $"'{field}.missingItems' must be an array of item IDs (integers >= 0)");
                        }

                        missing = missingArray.EnumerateArray().Select(element => element.GetInt32()).Distinct().Order().ToArray();
                    }

                    FeaturizerReference? featurizer = null;
                    if (modality.TryGetProperty("featurizer", out JsonElement featurizerElement) && featurizerElement.ValueKind != JsonValueKind.Null)
                    {
                        featurizer = ReadFeaturizer(featurizerElement, $"{field}.featurizer", path);
                    }

                    modalities.Add(new ModalitySource(modalityName, Path.Combine(directory, file), missing, path, featurizer));
                    index++;
                }
            }

            return new Descriptor(path, name, interactions, modalities);
        }
        catch (JsonException exception)
        {
            throw new DatasetFormatException(path, $"invalid JSON: {exception.Message}", exception.LineNumber + 1);
        }
    }

    private static FeaturizerReference ReadFeaturizer(JsonElement element, string field, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new DatasetFormatException(path, $"'{field}' must be an object with \"input\", \"name\", \"version\", \"dimension\" and \"modelSha256\"");
        }

        string Required(string property) => OptionalString(element, property, path)
            ?? throw new DatasetFormatException(path, $"'{field}.{property}' is missing");
        string input = Required("input");
        string name = Required("name");
        string version = Required("version");
        string sha256 = Required("modelSha256");
        if (!element.TryGetProperty("dimension", out JsonElement dimensionElement) || !dimensionElement.TryGetInt32(out int dimension) || dimension <= 0)
        {
            throw new DatasetFormatException(path, $"'{field}.dimension' must be a positive integer");
        }

        return new FeaturizerReference(input, name, version, dimension, sha256);
    }

    private static string? OptionalString(JsonElement element, string property, string path)
    {
        if (!element.TryGetProperty(property, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            throw new DatasetFormatException(path, $"'{property}' must be a non-empty string");
        }

        return value.GetString();
    }

    private static string FindInteractionFile(string directory, Descriptor descriptor)
    {
        if (descriptor.Interactions is not null)
        {
            string named = Path.Combine(directory, descriptor.Interactions);
            if (!File.Exists(named))
            {
                throw new DatasetFormatException(named, $"interaction file not found (named by {descriptor.FilePath})");
            }

            return named;
        }

        string[] candidates = Directory.GetFiles(directory, "*.inter");
        Array.Sort(candidates, StringComparer.Ordinal);
        return candidates.Length switch
        {
            1 => candidates[0],
            0 => throw new DatasetFormatException(directory, "no interaction file: expected exactly one <name>.inter in the dataset folder"),
            _ => throw new DatasetFormatException(
                directory,
                $"{candidates.Length} interaction files ({string.Join(", ", candidates.Select(Path.GetFileName))}): expected exactly one, or name it in {DescriptorFileName} (\"interactions\")"),
        };
    }

    private static List<ModalitySource> FindModalities(string directory, Descriptor descriptor)
    {
        if (descriptor.Modalities is not null)
        {
            foreach (ModalitySource source in descriptor.Modalities)
            {
                if (!File.Exists(source.FilePath))
                {
                    throw new DatasetFormatException(source.FilePath, $"feature file of modality '{source.Name}' not found (named by {descriptor.FilePath})");
                }
            }

            return descriptor.Modalities;
        }

        string[] files = Directory.GetFiles(directory, "*" + FeatureSuffix);
        Array.Sort(files, StringComparer.Ordinal);
        return files
            .Select(file => new ModalitySource(Path.GetFileName(file)[..^FeatureSuffix.Length], file, [], null, null))
            .Where(source => source.Name.Length > 0)
            .ToList();
    }

    private static Interactions ReadInteractions(string path)
    {
        byte[] bytes = InputFile.ReadAllBytes(path);

        ReadOnlySpan<byte> text = bytes;
        if (text.StartsWith("\uFEFF"u8))
        {
            text = text[3..];
        }

        int lineNumber = 1;
        ReadOnlySpan<byte> headerLine = NextLine(ref text);
        string header = Encoding.UTF8.GetString(headerLine);
        string[] columns = header.Split('\t', StringSplitOptions.TrimEntries);
        string expected = $"expected the tab-separated columns {string.Join(", ", s_requiredColumns)} and optionally {string.Join(", ", s_optionalColumns)}";
        if (string.IsNullOrWhiteSpace(header))
        {
            throw new DatasetFormatException(path, $"missing header line: {expected}", lineNumber);
        }

        foreach (string column in columns)
        {
            if (!s_requiredColumns.Contains(column) && !s_optionalColumns.Contains(column))
            {
                throw new DatasetFormatException(path, $"unknown column '{column}' in the header '{header}': {expected}", lineNumber);
            }

            if (columns.Count(other => other == column) > 1)
            {
                throw new DatasetFormatException(path, $"column '{column}' appears twice in the header '{header}'", lineNumber);
            }
        }

        foreach (string required in s_requiredColumns)
        {
            if (!columns.Contains(required))
            {
                throw new DatasetFormatException(path, $"the header '{header}' lacks the column '{required}': {expected}", lineNumber);
            }
        }

        int userField = Array.IndexOf(columns, UserColumn);
        int itemField = Array.IndexOf(columns, ItemColumn);
        int labelField = Array.IndexOf(columns, LabelColumn);

        int estimate = bytes.Length / 12;
        List<int>[] users = [new(estimate), new(estimate / 8), new(estimate / 8)];
        List<int>[] items = [new(estimate), new(estimate / 8), new(estimate / 8)];
        int maxUser = -1;
        int maxItem = -1;
        Span<Range> fields = stackalloc Range[columns.Length + 1];
        while (!text.IsEmpty)
        {
            lineNumber++;
            ReadOnlySpan<byte> line = NextLine(ref text);
            if (line.Trim(" \t"u8).IsEmpty)
            {
                continue;
            }

            int fieldCount = 0;
            foreach (Range field in line.Split((byte)'\t'))
            {
                if (fieldCount < fields.Length)
                {
                    fields[fieldCount] = field;
                }

                fieldCount++;
            }

            if (fieldCount != columns.Length)
            {
                throw new DatasetFormatException(
                    path,
                    $"expected {columns.Length} tab-separated fields ({string.Join(", ", columns)}), found {fieldCount}",
                    lineNumber);
            }

            int user = ParseId(line[fields[userField]], UserColumn, path, lineNumber);
            int item = ParseId(line[fields[itemField]], ItemColumn, path, lineNumber);
            ReadOnlySpan<byte> labelText = line[fields[labelField]].Trim(" "u8);
            int label = labelText.Length == 1 ? labelText[0] - '0' : -1;
            if (label is < 0 or > 2)
            {
                throw new DatasetFormatException(
                    path,
                    $"x_label '{Encoding.UTF8.GetString(labelText)}' must be 0 (train), 1 (valid) or 2 (test)",
                    lineNumber);
            }

            users[label].Add(user);
            items[label].Add(item);
            maxUser = Math.Max(maxUser, user);
            maxItem = Math.Max(maxItem, item);
        }

        InteractionSplit[] splits = [.. Enumerable.Range(0, 3).Select(split => new InteractionSplit([.. users[split]], [.. items[split]]))];
        return new Interactions(splits, maxUser, maxItem);
    }

    private static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> text)
    {
        int end = text.IndexOf((byte)'\n');
        ReadOnlySpan<byte> line;
        if (end < 0)
        {
            line = text;
            text = [];
        }
        else
        {
            line = text[..end];
            text = text[(end + 1)..];
        }

        return line.EndsWith("\r"u8) ? line[..^1] : line;
    }

    private static int ParseId(ReadOnlySpan<byte> field, string column, string path, int lineNumber)
    {
        ReadOnlySpan<byte> trimmed = field.Trim(" "u8);
        if (!int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id))
        {
            throw new DatasetFormatException(path, $"{column} '{Encoding.UTF8.GetString(trimmed)}' is not an integer", lineNumber);
        }

        if (id < 0)
        {
            throw new DatasetFormatException(path, $"{column} {id} is negative: IDs must be 0-based integers", lineNumber);
        }

        return id;
    }

    private static ModalityFeatures ReadModality(ModalitySource source, int itemCount, string interPath)
    {
        NpyArray array = NpyFile.Read(source.FilePath);
        if (array.Rows != itemCount)
        {
            throw new DatasetFormatException(
                source.FilePath,
                $"modality '{source.Name}' has {array.Rows} rows, expected {itemCount} (one per item: max itemID + 1 in {Path.GetFileName(interPath)})");
        }

        foreach (int missing in source.MissingItems)
        {
            if (missing >= itemCount)
            {
                throw new DatasetFormatException(
                    source.DescriptorPath ?? source.FilePath,
                    $"modality '{source.Name}': missing item {missing} is not an item (items are 0..{itemCount - 1})");
            }
        }

        int dimension = array.Columns;
        float[] values = array.Values;
        bool[] isMissing = new bool[itemCount];
        foreach (int missing in source.MissingItems)
        {
            isMissing[missing] = true;
        }

        double[] sum = new double[dimension];
        int validRows = 0;
        for (int row = 0; row < itemCount; row++)
        {
            if (isMissing[row])
            {
                continue;
            }

            ReadOnlySpan<float> rowValues = values.AsSpan(row * dimension, dimension);
            bool allZero = true;
            for (int column = 0; column < dimension; column++)
            {
                float value = rowValues[column];
                if (!float.IsFinite(value))
                {
                    throw new DatasetFormatException(
                        source.FilePath,
                        $"row {row} (item {row}) of modality '{source.Name}' contains {value.ToString(CultureInfo.InvariantCulture)} at column {column}; feature values must be finite",
                        row);
                }

                allZero &= value == 0f;
                sum[column] += value;
            }

            if (allZero)
            {
                throw new DatasetFormatException(
                    source.FilePath,
                    $"row {row} (item {row}) of modality '{source.Name}' is all zeros; list the item in {DescriptorFileName} \"missingItems\" if its feature is missing",
                    row);
            }

            validRows++;
        }

        if (source.MissingItems.Length > 0)
        {
            if (validRows == 0)
            {
                throw new DatasetFormatException(source.FilePath, $"modality '{source.Name}': every item is listed as missing");
            }

            // Missing features are replaced by the mean of the valid rows (METHOD.md section 1).
            float[] mean = sum.Select(total => (float)(total / validRows)).ToArray();
            foreach (int missing in source.MissingItems)
            {
                mean.CopyTo(values.AsSpan(missing * dimension, dimension));
            }
        }

        if (source.Featurizer is not null && source.Featurizer.Dimension != dimension)
        {
            throw new DatasetFormatException(source.FilePath, $"modality '{source.Name}' has {dimension} columns, its featurizer '{source.Featurizer.Name}' makes {source.Featurizer.Dimension}");
        }

        return new ModalityFeatures(source.Name, source.FilePath, array) { ImputedItems = source.MissingItems, Featurizer = source.Featurizer };
    }

    private sealed record Descriptor(string? FilePath, string? Name, string? Interactions, List<ModalitySource>? Modalities);

    private sealed record ModalitySource(string Name, string FilePath, int[] MissingItems, string? DescriptorPath, FeaturizerReference? Featurizer);

    private sealed record Interactions(InteractionSplit[] Splits, int MaxUser, int MaxItem);
}
