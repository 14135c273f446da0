namespace Motor.Core.Bundles;

/// <summary>
/// A model bundle that cannot be used. The message is one line: the file (as the bundle directory was given, joined with
/// the file's path inside the bundle) and what is wrong with it. An <see cref="IOException"/>: the files are missing or damaged.
/// </summary>
public sealed class BundleException : IOException
{
    public BundleException(string filePath, string problem, Exception? innerException = null)
        : base($"{filePath}: {OneLine(problem)}", innerException)
    {
        FilePath = filePath;
        Problem = OneLine(problem);
    }

    public string FilePath { get; }

    public string Problem { get; }

    // Messages of wrapped exceptions (JSON, I/O) may span lines; the CLI and problem details want one line.
    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
