using System.Runtime.CompilerServices;
using Xunit.Abstractions;

namespace Motor.Core.Tests;

/// <summary>Locates the real datasets (../shared/data next to the repository, or MOTOR_DATA_DIR).</summary>
internal static class RealData
{
    /// <summary>The dataset folder, or null after telling the test output why the test does not run.</summary>
    public static string? Find(string dataset, ITestOutputHelper output)
    {
        string? root = Environment.GetEnvironmentVariable("MOTOR_DATA_DIR");
        if (string.IsNullOrEmpty(root))
        {
            // Builds with --artifacts-path put the binaries outside the repository; the source path still leads to it.
            string? repository = FindRepositoryRoot(AppContext.BaseDirectory) ?? FindRepositoryRoot(SourceDirectory());
            if (repository is null)
            {
                output.WriteLine($"NOT RUN: Motor.Service.sln not found above {AppContext.BaseDirectory} and MOTOR_DATA_DIR is not set");
                return null;
            }

            root = Path.Combine(repository, "..", "shared", "data");
        }

        string folder = Path.GetFullPath(Path.Combine(root, dataset));
        if (!Directory.Exists(folder))
        {
            output.WriteLine($"NOT RUN: dataset folder {folder} is absent (set MOTOR_DATA_DIR to the data folder)");
            return null;
        }

        return folder;
    }

    private static string? FindRepositoryRoot(string? start)
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

/// <summary>A temporary folder deleted at dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "motor-core-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
