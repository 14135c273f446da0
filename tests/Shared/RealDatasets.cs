using Xunit.Abstractions;

namespace Motor.Testing;

/// <summary>
/// Locates the real datasets: $MOTOR_DATA_DIR, else ../shared/data beside the repository root. Shared by the test
/// projects (linked source), so that every test finds the data the same way.
/// </summary>
internal static class RealDatasets
{
    /// <summary>The dataset folder, or null after telling the test output that the test did not run its checks.</summary>
    public static string? Find(string dataset, ITestOutputHelper output)
    {
        string? root = Environment.GetEnvironmentVariable("MOTOR_DATA_DIR");
        if (string.IsNullOrEmpty(root))
        {
            string? repository = RepositoryPaths.TryFindRoot();
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
            output.WriteLine($"NOT RUN: dataset folder {folder} is absent (set MOTOR_DATA_DIR to the data folder); CI has it");
            return null;
        }

        return folder;
    }
}
