using System.Text;
using Motor.Core.Datasets;

namespace Motor.Trainer.Featurize;

/// <summary>A comma-separated file with a header line (RFC 4180: quoted fields may hold commas, quotes and line breaks).</summary>
internal sealed class CsvTable
{
    private readonly Dictionary<string, int> _columns;

    private CsvTable(string path, Dictionary<string, int> columns, List<(int Line, string[] Fields)> rows)
    {
        FilePath = path;
        _columns = columns;
        Rows = rows;
    }

    public string FilePath { get; }

    /// <summary>The records after the header, each with its 1-based starting line.</summary>
    public IReadOnlyList<(int Line, string[] Fields)> Rows { get; }

    public static CsvTable Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, "file not found");
        }

        List<(int Line, string[] Fields)> records = Parse(path, File.ReadAllText(path, Encoding.UTF8));
        if (records.Count == 0)
        {
            throw new DatasetFormatException(path, "empty file: expected a header line", 1);
        }

        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] header = records[0].Fields;
        for (int index = 0; index < header.Length; index++)
        {
            columns.TryAdd(header[index].Trim(), index);
        }

        return new CsvTable(path, columns, records.GetRange(1, records.Count - 1));
    }

    /// <summary>The index of <paramref name="column"/>; a file without it is bad input.</summary>
    public int Column(string column) => _columns.TryGetValue(column, out int index)
        ? index
        : throw new DatasetFormatException(FilePath, $"no column '{column}' in the header line", 1);

    private static List<(int Line, string[] Fields)> Parse(string path, string text)
    {
        var records = new List<(int, string[])>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1;
        int recordLine = 1;
        bool quoted = false;
        bool fieldStarted = false;
        for (int index = 0; index < text.Length; index++)
        {
            char character = text[index];
            if (quoted)
            {
                if (character == '"')
                {
                    if (index + 1 < text.Length && text[index + 1] == '"')
                    {
                        field.Append('"');
                        index++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    line += character == '\n' ? 1 : 0;
                    field.Append(character);
                }

                continue;
            }

            switch (character)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    fieldStarted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    if (fieldStarted || field.Length > 0 || fields.Count > 0)
                    {
                        fields.Add(field.ToString());
                        records.Add((recordLine, fields.ToArray()));
                    }

                    fields.Clear();
                    field.Clear();
                    fieldStarted = false;
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(character);
                    fieldStarted = true;
                    break;
            }
        }

        if (quoted)
        {
            throw new DatasetFormatException(path, "a quoted field is not closed before the end of the file", recordLine);
        }

        if (fieldStarted || field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add((recordLine, fields.ToArray()));
        }

        return records;
    }
}
