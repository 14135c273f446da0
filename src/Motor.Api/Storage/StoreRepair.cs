namespace Motor.Api.Storage;

/// <summary>
/// <c>dotnet Motor.Api.dll store-repair FILE</c>, for an embedded store file that the service refused because of damage
/// followed by valid records (the spirit of redis-check-aof --fix, without losing what follows the damage). With the
/// service stopped: every valid record is kept; a damaged span between valid records that one flipped bit explains is
/// restored; any other damaged span is moved to a side file (FILE.damaged-...-at-OFFSET) and named. The repaired file
/// replaces the original, which is kept as FILE.before-repair-TIME. Exit 0 when the file replays afterwards.
/// </summary>
public static class StoreRepair
{
    public const string Command = "store-repair";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Command;

    public static int Run(string[] args, TextWriter? output = null, TextWriter? errors = null)
    {
        output ??= Console.Out;
        errors ??= Console.Error;
        if (args.Length != 2)
        {
            errors.WriteLine($"usage: dotnet Motor.Api.dll {Command} <embedded store file>");
            return 2;
        }

        try
        {
            return Repair(Path.GetFullPath(args[1]), output);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or StoreStartException)
        {
            errors.WriteLine($"{Command}: {exception.Message}");
            return 1;
        }
    }

    private static int Repair(string path, TextWriter output)
    {
        if (!File.Exists(path))
        {
            throw new IOException($"{path}: no such file");
        }

        string stamp = DateTime.UtcNow.ToString("yyyyMMddTHHmmssfffZ", System.Globalization.CultureInfo.InvariantCulture);
        var records = new List<byte[]>();
        int recovered = 0;
        int moved = 0;
        long movedBytes = 0;
        string temporary = $"{path}.repair-{stamp}.tmp";
        using (FileStream file = StoreFileLock.OpenExclusive(path))
        {
            long length = file.Length;
            long offset = 0;
            while (offset < length)
            {
                byte[]? payload = StoreLogFile.TryRead(file, offset, out string? problem);
                if (payload is not null)
                {
                    records.Add(payload);
                    offset += StoreLogFile.HeaderBytes + payload.Length;
                    continue;
                }

                long next = StoreLogFile.FindNextValid(file, offset);
                long end = next >= 0 ? next : length;
                byte[] span = new byte[end - offset];
                file.Position = offset;
                file.ReadExactly(span);
                byte[]? restored = next >= 0 ? StoreLogFile.TryRecoverSingleBitFlip(span) : null;
                if (restored is not null)
                {
                    records.Add(restored);
                    recovered++;
                    output.WriteLine($"offset {offset}: {span.Length} bytes ({problem}): one flipped bit, record restored");
                }
                else
                {
                    string sideFile = $"{path}.damaged-{stamp}-at-{offset}";
                    File.WriteAllBytes(sideFile, span);
                    moved++;
                    movedBytes += span.Length;
                    output.WriteLine($"offset {offset}: {span.Length} bytes ({problem}) moved to {sideFile}{(next >= 0 ? string.Empty : " (the tail: nothing valid follows)")}");
                }

                offset = end;
            }

            if (recovered == 0 && moved == 0)
            {
                output.WriteLine($"{path}: {records.Count} records, no damage found; nothing changed");
                return 0;
            }

            using (var repaired = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                foreach (byte[] payload in records)
                {
                    repaired.Write(StoreLogFile.Encode(payload));
                }

                repaired.Flush(flushToDisk: true);
            }
        }

        string original = $"{path}.before-repair-{stamp}";
        File.Move(path, original);
        File.Move(temporary, path);
        output.WriteLine($"{path}: kept {records.Count - recovered} records, restored {recovered}, moved {moved} damaged spans ({movedBytes} bytes) to side files; the original is {original}");
        return 0;
    }
}
