namespace Motor.Api.Storage;

/// <summary>
/// One process per embedded store file. .NET opens a file with FileShare.None under an exclusive flock(2) on Linux,
/// which holds across processes and is released when the holder exits, even on kill -9. The holder's description goes
/// to a side file (<c>.owner</c>), because the locked file itself cannot be read by the process that was refused.
/// (Setting DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns .NET's locking off: do not.)
/// </summary>
public static class StoreFileLock
{
    // What .NET reports when the lock is held: EWOULDBLOCK from flock on Linux (as the HResult), a sharing violation on Windows.
    private const int WouldBlock = 11;
    private const int SharingViolation = unchecked((int)0x80070020);

    public static FileStream OpenExclusive(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1 << 16);
        }
        catch (IOException exception) when (exception.HResult is WouldBlock or SharingViolation)
        {
            string owner;
            try
            {
                owner = File.ReadAllText(OwnerPath(path)).Trim();
            }
            catch (IOException)
            {
                owner = "another process";
            }

            throw new StoreLockedException(
                $"{path}: the embedded store is in use by {owner}; one process per store file: give each instance its own Motor:Store:EmbeddedPath, or share state through Redis (Motor:Store:Redis)");
        }
    }

    /// <summary>Records this process as the holder (read by a process that is refused).</summary>
    public static void WriteOwner(string path)
        => File.WriteAllText(OwnerPath(path), $"pid {Environment.ProcessId} on host {Environment.MachineName} since {DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");

    private static string OwnerPath(string path) => path + ".owner";
}
