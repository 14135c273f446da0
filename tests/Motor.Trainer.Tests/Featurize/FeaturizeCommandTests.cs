using System.Text;
using System.Text.Json;
using Motor.Core.Datasets;
using Motor.Featurizers;
using SkiaSharp;

namespace Motor.Trainer.Tests.Featurize;

/// <summary><c>motor-trainer featurize</c> on a four-movie folder laid out like ml100k_mm (its SOURCE.md).</summary>
public sealed class FeaturizeCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("motor-featurize-").FullName;

    private string Source => Path.Combine(_root, "ml100k_mm");

    private string Out => Path.Combine(_root, "out");

    public FeaturizeCommandTests() => WriteSource();

    [Fact]
    public void Writes_a_dataset_with_text_and_poster_features_and_its_featurizers()
    {
        (int code, string stdout, string stderr) = CliTests.Run(["featurize", "--source", Source, "--out", Out]);

        Assert.True(code == 0, stderr);
        Assert.Contains("featurize image: 3/3", stdout, StringComparison.Ordinal);
        InteractionDataset dataset = DatasetLoader.Load(Out);
        Assert.Equal(4, dataset.ItemCount);
        ModalityFeatures text = dataset.Modalities.Single(modality => modality.Name == "text");
        ModalityFeatures image = dataset.Modalities.Single(modality => modality.Name == "image");
        Assert.Equal((384, 512), (text.Dimension, image.Dimension));
        Assert.Equal([3], image.ImputedItems);
        Assert.Equal("all-MiniLM-L6-v2", text.Featurizer!.Name);
        Assert.Equal("resnet18", image.Featurizer!.Name);

        // Text = title + plot: TMDB's first row for movie 1 (its duplicate is ignored), IMDb's summary for movie 2 (empty
        // TMDB overview), the title alone for movie 4.
        using var featurizer = new TextFeaturizer();
        float[][] expected = featurizer.Embed(["Café Story (1995). A chef opens a café, \"quietly\",\nin Paris.", "Space War (1996). Rebels fight an empire.", "Lonely Title (1997)"]);
        AssertClose(expected[0], text.Array.Row(0));
        AssertClose(expected[1], text.Array.Row(1));
        AssertClose(expected[2], text.Array.Row(3));

        // The poster-less movie gets the mean of the others (imputed on loading).
        float[] mean = [.. Enumerable.Range(0, 512).Select(column => (image.Array.Row(0)[column] + image.Array.Row(1)[column] + image.Array.Row(2)[column]) / 3)];
        AssertClose(mean, image.Array.Row(3));
        using JsonDocument descriptor = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Out, "dataset.json")));
        JsonElement sources = descriptor.RootElement.GetProperty("content").GetProperty("textSources");
        Assert.Equal((2, 1, 1), (sources.GetProperty("tmdb").GetInt32(), sources.GetProperty("imdb").GetInt32(), sources.GetProperty("title").GetInt32()));
    }

    [Fact]
    public void Bad_movie_id_is_one_line_naming_the_file_and_line()
    {
        File.WriteAllText(Path.Combine(Source, "ml-100k", "u.item"), "1|A (1995)|||0\nx|B (1996)|||0\n", Encoding.Latin1);

        (int code, _, string stderr) = CliTests.Run(["featurize", "--source", Source, "--out", Out]);

        Assert.Equal(1, code);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("u.item:2:", line, StringComparison.Ordinal);
        Assert.Contains("movie id", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_plot_column_is_named()
    {
        File.WriteAllText(Path.Combine(Source, "items_tmdb.csv"), "movie_id,title\n1,Café Story (1995)\n");

        (int code, _, string stderr) = CliTests.Run(["featurize", "--source", Source, "--out", Out]);

        Assert.Equal(1, code);
        Assert.Contains("items_tmdb.csv:1: no column 'overview'", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int index = 0; index < expected.Length; index++)
        {
            Assert.True(Math.Abs(expected[index] - actual[index]) < 1e-4, $"column {index}: expected {expected[index]}, got {actual[index]}");
        }
    }

    private void WriteSource()
    {
        Directory.CreateDirectory(Path.Combine(Source, "ml-100k"));
        Directory.CreateDirectory(Path.Combine(Source, "mmrec"));
        Directory.CreateDirectory(Path.Combine(Source, "posters"));
        string flags = string.Join('|', Enumerable.Repeat("0", 19));
        File.WriteAllText(
            Path.Combine(Source, "ml-100k", "u.item"),
            $"1|Café Story (1995)|01-Jan-1995||http://x|{flags}\n2|Space War (1996)|01-Jan-1996||http://x|{flags}\n3|Third (1997)|01-Jan-1997||http://x|{flags}\n4|Lonely Title (1997)|01-Jan-1997||http://x|{flags}\n",
            Encoding.Latin1);
        File.WriteAllText(
            Path.Combine(Source, "items_tmdb.csv"),
            "movie_id,title,overview\n1,Café Story (1995),\"A chef opens a café, \"\"quietly\"\",\nin Paris.\"\n1,Café Story (1995),A duplicate match.\n2,Space War (1996),\n3,Third (1997),A third film.\n");
        File.WriteAllText(Path.Combine(Source, "mmrec", "items_imdb.csv"), ",movie id,Summary\n0,1,Imdb one.\n1,2,Rebels fight an empire.\n2,3,\n3,4,\n");
        File.WriteAllText(Path.Combine(Source, "mmrec", "ml100k.inter"), "userID\titemID\trating\ttimestamp\tx_label\n0\t0\t5\t1\t0\n0\t1\t4\t2\t0\n1\t2\t3\t3\t0\n1\t3\t3\t4\t0\n0\t2\t5\t5\t1\n1\t0\t4\t6\t2\n");
        File.WriteAllBytes(Path.Combine(Source, "posters", "1.jpg"), Motor.Testing.TestImages.Encode(92, 138, SKColors.Brown, SKColors.White, SKEncodedImageFormat.Jpeg));
        File.WriteAllBytes(Path.Combine(Source, "posters", "2.jpg"), Motor.Testing.TestImages.Encode(92, 130, SKColors.Black, SKColors.Yellow, SKEncodedImageFormat.Jpeg));
        File.WriteAllBytes(Path.Combine(Source, "posters", "3.jpg"), Motor.Testing.TestImages.Encode(92, 171, SKColors.Teal, SKColors.Pink, SKEncodedImageFormat.Jpeg));
    }
}
