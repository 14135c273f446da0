namespace Motor.Featurizers.Tests;

public sealed class TextFeaturizerTests(FeaturizerFixture fixture) : IClassFixture<FeaturizerFixture>
{
    private static readonly string[] s_sentences =
    [
        "A young wizard attends a school of magic and fights a dark lord.",
        "A boy learns witchcraft at a magical boarding school and battles an evil sorcerer.",
        "The quarterly earnings report shows revenue growth in the retail segment.",
        string.Empty,
    ];

    [Fact]
    public void Vectors_have_384_dimensions_and_unit_length()
    {
        float[][] vectors = fixture.Text.Embed(s_sentences);

        Assert.Equal(s_sentences.Length, vectors.Length);
        foreach (float[] vector in vectors)
        {
            Assert.Equal(TextFeaturizer.Dimension, vector.Length);
            Assert.All(vector, value => Assert.True(float.IsFinite(value)));
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(value => (double)value * value)), 5);
        }
    }

    [Fact]
    public void Paraphrases_are_closer_than_unrelated_sentences()
    {
        float[][] vectors = fixture.Text.Embed(s_sentences[..3]);

        double paraphrase = Dot(vectors[0], vectors[1]);
        double unrelated = Dot(vectors[0], vectors[2]);
        Assert.True(paraphrase > unrelated + 0.3, $"cosine of paraphrases {paraphrase:F3}, of unrelated sentences {unrelated:F3}");
    }

    [Fact]
    public void Same_text_gives_the_same_vector_alone_in_a_batch_and_from_threads()
    {
        float[] alone = fixture.Text.Embed(s_sentences[0]);
        float[][] batch = fixture.Text.Embed([s_sentences[2], s_sentences[0], "short"]);
        float[][] parallel = new float[4][];
        Parallel.For(0, parallel.Length, index => parallel[index] = fixture.Text.Embed(s_sentences[0]));

        // Padding to a longer text of the same call changes the result only by rounding.
        Assert.All(alone.Zip(batch[1]), pair => Assert.Equal(pair.First, pair.Second, 1e-5f));
        Assert.All(parallel, vector => Assert.Equal(alone, vector));
    }

    [Fact]
    public void Long_texts_are_truncated_not_refused()
    {
        string longText = string.Join(' ', Enumerable.Repeat("a very long plot summary", 2000));

        float[] vector = fixture.Text.Embed(longText);

        Assert.Equal(TextFeaturizer.Dimension, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(value => (double)value * value)), 5);
    }

    [Fact]
    public void Info_names_the_model_and_its_checksum()
    {
        FeaturizerInfo info = fixture.Text.Info;

        Assert.Equal(FeaturizerInfo.TextModality, info.Modality);
        Assert.Equal("all-MiniLM-L6-v2", info.Name);
        Assert.Equal(384, info.Dimension);
        Assert.Matches("^[0-9a-f]{64}$", info.ModelSha256);
        Assert.Equal(info, new TextFeaturizer().Info);
    }

    [Fact]
    public void Missing_model_files_are_named()
    {
        string empty = Directory.CreateTempSubdirectory("motor-featurizers-").FullName;
        try
        {
            FileNotFoundException exception = Assert.Throws<FileNotFoundException>(() => new TextFeaturizer(new FeaturizerOptions { ModelDirectory = empty }));
            Assert.Contains(FeaturizerModels.MiniLmAssemblyFileName, exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    private static double Dot(float[] left, float[] right) => left.Zip(right).Sum(pair => (double)pair.First * pair.Second);
}
