using System.Globalization;
using System.Text;
using Motor.Core.Datasets;

namespace Motor.Trainer.Featurize;

/// <summary>One movie's raw content: <c>ItemId = movie_id - 1</c> as in mmrec/ml100k.inter.</summary>
public sealed record MovieContent(int ItemId, string Title, string Text, string TextSource, string? PosterPath);

/// <summary>
/// Reads the raw content of ../shared/data/ml100k_mm (its SOURCE.md): titles from ml-100k/u.item (Latin-1), plots from
/// items_tmdb.csv's overview (the first row per movie_id; the file repeats 64 ids), else mmrec/items_imdb.csv's Summary,
/// else the title alone; posters/&lt;movie_id&gt;.jpg where present.
/// </summary>
public static class MovieLensContent
{
    public const string InteractionFile = "mmrec/ml100k.inter";

    public static IReadOnlyList<MovieContent> Read(string sourceDirectory)
    {
        string itemFile = Path.Combine(sourceDirectory, "ml-100k", "u.item");
        if (!File.Exists(itemFile))
        {
            throw new DatasetFormatException(itemFile, "file not found: expected the MovieLens-100K folder layout of ml100k_mm (ml-100k/u.item, items_tmdb.csv, mmrec/, posters/)");
        }

        List<(int MovieId, string Title)> movies = ReadItems(itemFile);
        Dictionary<int, string> tmdb = ReadPlots(Path.Combine(sourceDirectory, "items_tmdb.csv"), "movie_id", "overview");
        Dictionary<int, string> imdb = ReadPlots(Path.Combine(sourceDirectory, "mmrec", "items_imdb.csv"), "movie id", "Summary");
        string posterDirectory = Path.Combine(sourceDirectory, "posters");
        if (!Directory.Exists(posterDirectory))
        {
            throw new DatasetFormatException(posterDirectory, "poster folder not found");
        }

        var contents = new List<MovieContent>(movies.Count);
        foreach ((int movieId, string title) in movies)
        {
            (string plot, string source) = tmdb.TryGetValue(movieId, out string? overview) ? (overview, "tmdb")
                : imdb.TryGetValue(movieId, out string? summary) ? (summary, "imdb")
                : (string.Empty, "title");
            string text = plot.Length == 0 ? title : $"{title}. {plot}";
            string poster = Path.Combine(posterDirectory, $"{movieId}.jpg");
            contents.Add(new MovieContent(movieId - 1, title, text, source, File.Exists(poster) ? poster : null));
        }

        return contents;
    }

    private static List<(int MovieId, string Title)> ReadItems(string path)
    {
        var movies = new List<(int, string)>();
        string[] lines = File.ReadAllLines(path, Encoding.Latin1);
        for (int index = 0; index < lines.Length; index++)
        {
            if (lines[index].Length == 0)
            {
                continue;
            }

            string[] fields = lines[index].Split('|');
            if (fields.Length < 2 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int movieId) || movieId < 1)
            {
                throw new DatasetFormatException(path, "expected 'movie id|title|...' with a positive integer movie id", index + 1);
            }

            if (movieId != movies.Count + 1)
            {
                throw new DatasetFormatException(path, $"movie id {movieId} out of order: expected {movies.Count + 1} (ids are 1..N in order)", index + 1);
            }

            movies.Add((movieId, fields[1].Trim()));
        }

        return movies;
    }

    /// <summary>movie id -> non-empty plot text; the first row wins when an id repeats.</summary>
    private static Dictionary<int, string> ReadPlots(string path, string idColumn, string textColumn)
    {
        CsvTable table = CsvTable.Read(path);
        int id = table.Column(idColumn);
        int text = table.Column(textColumn);
        var plots = new Dictionary<int, string>();
        var seen = new HashSet<int>();
        foreach ((int line, string[] fields) in table.Rows)
        {
            if (fields.Length <= Math.Max(id, text))
            {
                throw new DatasetFormatException(path, $"{fields.Length} fields, expected at least {Math.Max(id, text) + 1} ('{idColumn}' and '{textColumn}')", line);
            }

            if (!int.TryParse(fields[id], NumberStyles.None, CultureInfo.InvariantCulture, out int movieId))
            {
                throw new DatasetFormatException(path, $"'{idColumn}' is '{fields[id]}', expected a positive integer", line);
            }

            string plot = fields[text].Trim();
            if (seen.Add(movieId) && plot.Length > 0)
            {
                plots[movieId] = plot;
            }
        }

        return plots;
    }
}
