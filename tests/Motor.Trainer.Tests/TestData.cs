using Xunit.Abstractions;

namespace Motor.Trainer.Tests;

/// <summary>Finds the real datasets: $MOTOR_DATA_DIR, else ../shared/data beside the repository root.</summary>
internal static class TestData
{
    public static string? Directory(string name)
    {
        string? root = Environment.GetEnvironmentVariable("MOTOR_DATA_DIR");
        if (string.IsNullOrEmpty(root))
        {
            DirectoryInfo? current = new(AppContext.BaseDirectory);
            while (current is not null && !File.Exists(Path.Combine(current.FullName, "Motor.Service.sln")))
            {
                current = current.Parent;
            }

            // Builds with --artifacts-path live outside the repository: fall back to the working directory's ancestors.
            current ??= FindFrom(System.IO.Directory.GetCurrentDirectory());
            root = current is null ? null : Path.Combine(current.FullName, "..", "shared", "data");
        }

        string? path = root is null ? null : Path.GetFullPath(Path.Combine(root, name));
        return path is not null && System.IO.Directory.Exists(path) ? path : null;
    }

    /// <summary>The dataset folder, or null after writing a visible note that the test did not run its checks.</summary>
    public static string? RequireOrNote(string name, ITestOutputHelper output)
    {
        string? path = Directory(name);
        if (path is null)
        {
            output.WriteLine($"NOT RUN: dataset '{name}' not found (../shared/data or MOTOR_DATA_DIR); CI has it.");
        }

        return path;
    }

    private static DirectoryInfo? FindFrom(string start)
    {
        DirectoryInfo? current = new(start);
        while (current is not null && !File.Exists(Path.Combine(current.FullName, "Motor.Service.sln")))
        {
            current = current.Parent;
        }

        return current;
    }
}
