namespace Motor.Core.Datasets;

/// <summary>Bad input data. The message always names the file and, where it applies, the line or row.</summary>
public sealed class DatasetFormatException : Exception
{
    public DatasetFormatException(string filePath, string problem, long? line = null)
        : base(line is null ? $"{filePath}: {problem}" : $"{filePath}:{line}: {problem}")
    {
        FilePath = filePath;
        Line = line;
        Problem = problem;
    }

    public string FilePath { get; }

    /// <summary>1-based line (text files) or 0-based row (feature arrays), when the problem has one.</summary>
    public long? Line { get; }

    public string Problem { get; }
}
