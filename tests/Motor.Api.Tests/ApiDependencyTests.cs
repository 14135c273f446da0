using System.Text.Json;

namespace Motor.Api.Tests;

/// <summary>
/// The bundle is the only contract between trainer and service: the API's dependency graph (its own deps.json, which
/// the test host copies next to the tests) must not bring the trainer, TorchSharp or libtorch.
/// </summary>
public sealed class ApiDependencyTests
{
    private static readonly string[] s_forbiddenPrefixes = ["Motor.Trainer/", "TorchSharp", "libtorch", "TorchVision"];

    [Fact]
    public void Api_dependency_graph_has_no_trainer_and_no_torch()
    {
        string depsPath = Path.Combine(AppContext.BaseDirectory, "Motor.Api.deps.json");
        Assert.True(File.Exists(depsPath), $"{depsPath} is missing: the API's deps.json is not copied next to the tests");
        using JsonDocument deps = JsonDocument.Parse(File.ReadAllText(depsPath));

        string[] libraries = [.. deps.RootElement.GetProperty("libraries").EnumerateObject().Select(library => library.Name)];
        string[] targetEntries = [.. deps.RootElement.GetProperty("targets").EnumerateObject()
            .SelectMany(target => target.Value.EnumerateObject())
            .SelectMany(library => new[] { library.Name }.Concat(library.Value.TryGetProperty("dependencies", out JsonElement dependencies)
                ? dependencies.EnumerateObject().Select(dependency => $"{dependency.Name}/{dependency.Value.GetString()}")
                : []))];

        // Not vacuous: the graph is the API's and names what the API does need.
        Assert.Contains(libraries, name => name.StartsWith("Motor.Api/", StringComparison.Ordinal));
        Assert.Contains(libraries, name => name.StartsWith("Motor.Inference/", StringComparison.Ordinal));
        Assert.Contains(libraries, name => name.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal));

        string[] forbidden = [.. libraries.Concat(targetEntries).Where(name => s_forbiddenPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))).Distinct()];
        Assert.True(forbidden.Length == 0, $"the API's dependency graph brings {string.Join(", ", forbidden)}");
    }
}
