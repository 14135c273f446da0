using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Motor.Core.Datasets;
using Motor.Core.Features;
using Motor.Featurizers;

namespace Motor.Trainer.Featurize;

/// <summary>Progress of <see cref="DatasetFeaturizer.Build"/>: items done per modality.</summary>
internal sealed record FeaturizeProgress(string Modality, int Done, int Total);

/// <summary>What <see cref="DatasetFeaturizer.Build"/> wrote and how long each modality took.</summary>
internal sealed record FeaturizeReport(int Items, int Texts, double TextSeconds, int Posters, double ImageSeconds, IReadOnlyList<int> ItemsWithoutPoster, IReadOnlyDictionary<string, int> TextSources);

/// <summary>
/// ml100k_mm raw content -> a dataset folder the trainer reads (PROTOCOL.md): <c>ml100k.inter</c> (mmrec/ml100k.inter as
/// is), <c>text_feat.npy</c> (all-MiniLM-L6-v2, 384-d), <c>image_feat.npy</c> (ResNet18, 512-d) and <c>dataset.json</c>
/// naming both featurizers. Items without a poster get a zero row and are listed in the image modality's "missingItems",
/// which the dataset loader replaces by the mean of the other posters' features (METHOD.md section 1).
/// </summary>
internal static class DatasetFeaturizer
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
        var textClock = Stopwatch.StartNew();
        float[] textFeatures = new float[movies.Count * TextFeaturizer.Dimension];
        for (int start = 0; start < movies.Count; start += TextBatchSize)
        {
            int count = Math.Min(TextBatchSize, movies.Count - start);
            float[][] vectors = text.Embed([.. movies.Skip(start).Take(count).Select(movie => movie.Text)]);
            for (int index = 0; index < count; index++)
            {
                vectors[index].CopyTo(textFeatures, (long)(movies[start + index].ItemId) * TextFeaturizer.Dimension);
            }

            progress?.Report(new FeaturizeProgress("text", start + count, movies.Count));
        }

        textClock.Stop();

        using var image = new ImageFeaturizer(options);
        var imageClock = Stopwatch.StartNew();
        float[] imageFeatures = new float[movies.Count * ImageFeaturizer.Dimension];
        List<MovieContent> withPoster = [.. movies.Where(movie => movie.PosterPath is not null)];
        for (int index = 0; index < withPoster.Count; index++)
        {
            MovieContent movie = withPoster[index];
            float[] vector;
            try
            {
                vector = image.Embed(File.ReadAllBytes(movie.PosterPath!));
            }
            catch (InvalidImageException exception)
            {
                throw new DatasetFormatException(movie.PosterPath!, exception.Message);
            }

            vector.CopyTo(imageFeatures, (long)movie.ItemId * ImageFeaturizer.Dimension);
            progress?.Report(new FeaturizeProgress("image", index + 1, withPoster.Count));
        }

        imageClock.Stop();

        int[] withoutPoster = [.. movies.Where(movie => movie.PosterPath is null).Select(movie => movie.ItemId)];
        File.Copy(interactions, Path.Combine(outDirectory, DatasetName + ".inter"), overwrite: true);
        NpyFile.Write(Path.Combine(outDirectory, "text_feat.npy"), textFeatures, movies.Count, TextFeaturizer.Dimension);
        NpyFile.Write(Path.Combine(outDirectory, "image_feat.npy"), imageFeatures, movies.Count, ImageFeaturizer.Dimension);
        Dictionary<string, int> sources = movies.GroupBy(movie => movie.TextSource).ToDictionary(group => group.Key, group => group.Count());
        var descriptor = new
        {
            name = DatasetName,
            interactions = DatasetName + ".inter",
            modalities = new object[]
            {
                new { name = "text", file = "text_feat.npy", featurizer = Reference(text.Info) },
                new { name = "image", file = "image_feat.npy", missingItems = withoutPoster, featurizer = Reference(image.Info) },
            },
            content = new
            {
                source = "ml100k_mm (MovieLens-100K, TMDB/IMDb plots, TMDB posters): research use only, do not redistribute",
                text = "title + '. ' + plot: items_tmdb.csv overview (first row per movie_id), else mmrec/items_imdb.csv Summary, else the title alone",
                textSources = sources,
                image = "posters/<movie_id>.jpg; items without a poster are listed in missingItems (zero rows, replaced by the mean on loading)",
            },
        };
        File.WriteAllBytes(Path.Combine(outDirectory, DatasetLoader.DescriptorFileName), JsonSerializer.SerializeToUtf8Bytes(descriptor, s_json));

        // The folder must load as the trainer will load it.
        DatasetLoader.Load(outDirectory);
        return new FeaturizeReport(movies.Count, movies.Count, textClock.Elapsed.TotalSeconds, withPoster.Count, imageClock.Elapsed.TotalSeconds, withoutPoster, sources);
    }

    public static FeaturizerReference Reference(FeaturizerInfo info) => new(info.Modality, info.Name, info.Version, info.Dimension, info.ModelSha256);
}
