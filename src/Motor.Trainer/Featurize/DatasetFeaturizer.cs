using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Featurizers;

namespace Motor.Trainer.Featurize;

/// <summary>Progress of <see cref="DatasetFeaturizer.Build"/>: items done per modality.</summary>
public sealed record FeaturizeProgress(string Modality, int Done, int Total);

/// <summary>What <see cref="DatasetFeaturizer.Build"/> wrote and how long each modality took.</summary>
public sealed record FeaturizeReport(int Items, int Texts, double TextSeconds, int Posters, double ImageSeconds, IReadOnlyList<int> ItemsWithoutPoster, IReadOnlyDictionary<string, int> TextSources);

/// <summary>
/// ml100k_mm raw content -> a dataset folder the trainer reads (PROTOCOL.md): <c>ml100k.inter</c> (mmrec/ml100k.inter as
/// is), <c>text_feat.npy</c> (all-MiniLM-L6-v2, 384-d), <c>image_feat.npy</c> (ResNet18, 512-d) and <c>dataset.json</c>
/// naming both featurizers. Items without a poster get a zero row and are listed in the image modality's "missingItems",
/// which the dataset loader replaces by the mean of the other posters' features (METHOD.md section 1).
/// </summary>
public static class DatasetFeaturizer
{
    public const string DatasetName = "ml100k";

    // Large calls: the featurizer orders each call's texts by length, so fewer pad tokens are computed.
    public const int TextBatchSize = 256;

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static FeaturizeReport Build(string sourceDirectory, string outDirectory, FeaturizerOptions options, IProgress<FeaturizeProgress>? progress = null)
    {
        string interactions = Path.Combine(sourceDirectory, MovieLensContent.InteractionFile);
        if (!File.Exists(interactions))
        {
            throw new DatasetFormatException(interactions, "file not found: the interactions of ml100k_mm are expected there");
        }

        IReadOnlyList<MovieContent> movies = MovieLensContent.Read(sourceDirectory);
        Directory.CreateDirectory(outDirectory);
        using var text = new TextFeaturizer(options);
        using var image = new ImageFeaturizer(options);

        // MovieLensContent reads u.item in order, so row i is item i (movie_id i + 1), as in the .inter file.
        ContentFeatures features = Compute(movies, text, image, progress);
        int[] withoutPoster = features.WithoutPoster;
        File.Copy(interactions, Path.Combine(outDirectory, DatasetName + ".inter"), overwrite: true);
        Dictionary<string, int> sources = movies.GroupBy(movie => movie.TextSource).ToDictionary(group => group.Key, group => group.Count());
        WriteFeatureFiles(outDirectory, features, movies.Count, text.Info, image.Info, DatasetName, DatasetName + ".inter", new
        {
            source = "ml100k_mm (MovieLens-100K, TMDB/IMDb plots, TMDB posters): research use only, do not redistribute",
            text = "title + '. ' + plot: items_tmdb.csv overview (first row per movie_id), else mmrec/items_imdb.csv Summary, else the title alone",
            textSources = sources,
            image = "posters/<movie_id>.jpg; items without a poster are listed in missingItems (zero rows, replaced by the mean on loading)",
        });

        // The folder must load as the trainer will load it.
        DatasetLoader.Load(outDirectory);
        return new FeaturizeReport(movies.Count, movies.Count, features.TextTime.TotalSeconds, movies.Count - withoutPoster.Length, features.ImageTime.TotalSeconds, withoutPoster, sources);
    }

    /// <summary>
    /// The feature half of a dataset folder: text_feat.npy, image_feat.npy and dataset.json naming both featurizers and
    /// the items without a poster; the folder's .inter file is the caller's. Null <paramref name="name"/> or
    /// <paramref name="interactions"/> are left out (the loader then takes the folder's single .inter file).
    /// </summary>
    public static void WriteFeatureFiles(string directory, ContentFeatures features, int itemCount, FeaturizerInfo text, FeaturizerInfo image, string? name = null, string? interactions = null, object? content = null)
    {
        NpyFile.Write(Path.Combine(directory, "text_feat.npy"), features.Text, itemCount, text.Dimension);
        NpyFile.Write(Path.Combine(directory, "image_feat.npy"), features.Image, itemCount, image.Dimension);
        var descriptor = new
        {
            name,
            interactions,
            modalities = new object[]
            {
                new { name = "text", file = "text_feat.npy", featurizer = Reference(text) },
                new { name = "image", file = "image_feat.npy", missingItems = features.WithoutPoster, featurizer = Reference(image) },
            },
            content,
        };
        File.WriteAllBytes(Path.Combine(directory, DatasetLoader.DescriptorFileName), JsonSerializer.SerializeToUtf8Bytes(descriptor, s_json));
    }

    /// <summary>Row i of each array is movies[i] (rows of movies without a poster are zero, listed in WithoutPoster as row indices).</summary>
    public sealed record ContentFeatures(float[] Text, float[] Image, int[] WithoutPoster, TimeSpan TextTime, TimeSpan ImageTime);

    /// <summary>Text and poster features of <paramref name="movies"/>, in list order.</summary>
    public static ContentFeatures Compute(IReadOnlyList<MovieContent> movies, TextFeaturizer text, ImageFeaturizer image, IProgress<FeaturizeProgress>? progress = null)
    {
        var textClock = Stopwatch.StartNew();
        float[] textFeatures = new float[movies.Count * TextFeaturizer.Dimension];
        for (int start = 0; start < movies.Count; start += TextBatchSize)
        {
            int count = Math.Min(TextBatchSize, movies.Count - start);
            float[][] vectors = text.Embed([.. movies.Skip(start).Take(count).Select(movie => movie.Text)]);
            for (int index = 0; index < count; index++)
            {
                vectors[index].CopyTo(textFeatures, (long)(start + index) * TextFeaturizer.Dimension);
            }

            progress?.Report(new FeaturizeProgress("text", start + count, movies.Count));
        }

        textClock.Stop();
        var imageClock = Stopwatch.StartNew();
        float[] imageFeatures = new float[movies.Count * ImageFeaturizer.Dimension];
        int[] withPoster = [.. Enumerable.Range(0, movies.Count).Where(row => movies[row].PosterPath is not null)];
        for (int done = 0; done < withPoster.Length; done++)
        {
            MovieContent movie = movies[withPoster[done]];
            float[] vector;
            try
            {
                vector = image.Embed(File.ReadAllBytes(movie.PosterPath!));
            }
            catch (InvalidImageException exception)
            {
                throw new DatasetFormatException(movie.PosterPath!, exception.Message);
            }

            vector.CopyTo(imageFeatures, (long)withPoster[done] * ImageFeaturizer.Dimension);
            progress?.Report(new FeaturizeProgress("image", done + 1, withPoster.Length));
        }

        imageClock.Stop();
        int[] withoutPoster = [.. Enumerable.Range(0, movies.Count).Where(row => movies[row].PosterPath is null)];
        return new ContentFeatures(textFeatures, imageFeatures, withoutPoster, textClock.Elapsed, imageClock.Elapsed);
    }

    public static FeaturizerReference Reference(FeaturizerInfo info) => new(info.Modality, info.Name, info.Version, info.Dimension, info.ModelSha256);
}
