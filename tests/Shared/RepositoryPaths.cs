using System.Runtime.CompilerServices;

namespace Motor.Testing;

/// <summary>The repository root (the folder of Motor.Service.sln), for tests that read the repository's own files.</summary>
internal static class RepositoryPaths
{
    /// <summary>Found from the test's binaries, else from this source file (builds with --artifacts-path put binaries elsewhere); null when neither is inside the repository.</summary>
    public static string? TryFindRoot() => FindAbove(AppContext.BaseDirectory) ?? FindAbove(SourceDirectory());

    public static string Root => TryFindRoot() ?? throw new InvalidOperationException($"Motor.Service.sln not found above {AppContext.BaseDirectory} or {SourceDirectory()}");

    private static string? FindAbove(string? start)
    {
        DirectoryInfo? directory = start is null ? null : new(start);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Motor.Service.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName;
    }

    private static string? SourceDirectory([CallerFilePath] string sourceFile = "") => Path.GetDirectoryName(sourceFile);
}
