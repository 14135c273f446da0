namespace Motor.Core.Datasets;

/// <summary>Reads input files so that an unreadable file is a <see cref="DatasetFormatException"/> naming it, like any other bad input.</summary>
internal static class InputFile
{
    public static byte[] ReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, $"cannot read the file ({exception.Message})");
        }
    }
}
