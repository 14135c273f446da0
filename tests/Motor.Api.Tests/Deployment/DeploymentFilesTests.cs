using System.Collections;
using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Motor.Api.Configuration;
using Motor.Testing;
using Motor.Trainer.Devices;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Motor.Api.Tests.Deployment;

/// <summary>
/// What CI can check of the Dockerfile, docker-compose.yml and deploy/kubernetes without a container daemon: every
/// environment variable, port, path and probe they name exists in the service (its options, its routes, its image
/// layout), the manifests validate strictly against the Kubernetes schemas (deploy/validate), and compose accepts the
/// file (Debian's docker-compose) and refuses to start without secrets. The tool-based checks say NOT RUN where the tool
/// is missing locally and fail in CI (CI=true), which installs them.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed partial class DeploymentFilesTests(ApiEnvironment environment, ITestOutputHelper output)
{
    private static readonly string s_repository = RepositoryPaths.Root;

    /// <summary>Variables the ASP.NET Core host reads itself.</summary>
    private static readonly string[] s_hostVariables = ["ASPNETCORE_HTTP_PORTS", "ASPNETCORE_ENVIRONMENT", "ASPNETCORE_URLS", "ASPNETCORE_FORWARDEDHEADERS_ENABLED"];

    /// <summary>Variables the trainer reads (HOME: where native libraries may cache).</summary>
    private static readonly string[] s_trainerVariables = [TorchDevice.ThreadsVariable, "HOME"];

    [Fact]
    public async Task Every_variable_port_path_and_probe_of_the_deployment_files_exists_in_the_service()
    {
        IReadOnlySet<string> routes = await RoutesAsync();
        Assert.Contains("/health/ready", routes); // not vacuous: the routes are the service's

        // Dockerfile, api target.
        DockerStage api = DockerStage.Read(Path.Combine(s_repository, "Dockerfile"), "api");
        AssertSettings("Dockerfile (api)", api.Environment.Keys, []);
        string port = api.Environment["ASPNETCORE_HTTP_PORTS"];
        Assert.Equal([port], api.Exposed);
        AssertProbe("Dockerfile (api) HEALTHCHECK", api.HealthCheckUrl ?? throw new InvalidOperationException("the api stage has no HEALTHCHECK"), port, routes);
        Assert.Contains(Path.GetDirectoryName(api.Environment["Motor__Store__EmbeddedPath"])!, api.WritableFolders);
        Assert.Equal("/app/Motor.Api.dll", api.EntryPoint.Last());

        DockerStage trainer = DockerStage.Read(Path.Combine(s_repository, "Dockerfile"), "trainer");
        Assert.True(trainer.Environment.Keys.All(s_trainerVariables.Contains), $"trainer image variables: {string.Join(", ", trainer.Environment.Keys)}");
        Assert.Contains("/models", trainer.WritableFolders);

        // docker-compose.yml: the API's settings, port, probe, and the bundle path that the trainer writes.
        YamlMappingNode services = (YamlMappingNode)LoadYaml(Path.Combine(s_repository, "docker-compose.yml"))[0]["services"];
        YamlMappingNode composeApi = (YamlMappingNode)services["api"];
        Dictionary<string, string> composeEnvironment = Mapping(composeApi["environment"]);
        AssertSettings("docker-compose.yml api", composeEnvironment.Keys, []);
        string composePort = composeEnvironment["ASPNETCORE_HTTP_PORTS"];
        Assert.All(Sequence(composeApi["ports"]), mapping => Assert.EndsWith($":{composePort}", mapping));
        AssertProbe("docker-compose.yml api healthcheck", Sequence(composeApi["healthcheck"]["test"]).Last(), composePort, routes);
        string composeBundle = composeEnvironment["Motor__BundlePath"];
        AssertUnderMount("docker-compose.yml api", composeBundle, Sequence(composeApi["volumes"]).Select(volume => volume.Split(':')[1]));
        foreach (string trainerService in new[] { "trainer", "trainer-gpu" })
        {
            YamlMappingNode service = (YamlMappingNode)services[trainerService];
            Assert.True(Mapping(service["environment"]).Keys.All(s_trainerVariables.Contains), $"docker-compose.yml {trainerService}: unknown variables");
        }

        Assert.Equal(composeBundle, OptionValue(Sequence(services["trainer"]["command"]), "--current"));

        // deploy/kubernetes/base: ConfigMap keys, container variables, port, probes, scrape annotations, bundle path.
        List<YamlMappingNode> manifests = [.. Directory.GetFiles(Path.Combine(s_repository, "deploy", "kubernetes", "base"), "*.yaml")
            .Where(file => !file.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(LoadYaml).OfType<YamlMappingNode>()];
        YamlMappingNode configMap = manifests.Single(manifest => Scalar(manifest["kind"]) == "ConfigMap" && Scalar(manifest["metadata"]["name"]) == "motor-api");
        Dictionary<string, string> configured = Mapping(configMap["data"]);
        YamlMappingNode deployment = manifests.Single(manifest => Scalar(manifest["kind"]) == "Deployment");
        YamlMappingNode pod = (YamlMappingNode)deployment["spec"]["template"]["spec"];
        YamlMappingNode container = (YamlMappingNode)((YamlSequenceNode)pod["containers"])[0];
        string[] containerVariables = [.. ((YamlSequenceNode)container["env"]).Select(variable => Scalar(variable["name"]))];
        string[] interpolated = [.. ((YamlSequenceNode)container["env"]).OfType<YamlMappingNode>()
            .Where(variable => variable.Children.ContainsKey("value"))
            .SelectMany(variable => Interpolation().Matches(Scalar(variable["value"])).Select(match => match.Groups[1].Value))];
        Assert.NotEmpty(interpolated);
        AssertSettings("deploy/kubernetes/base motor-api", configured.Keys.Concat(containerVariables), interpolated);
        string containerPort = Scalar(((YamlSequenceNode)container["ports"])[0]["containerPort"]);
        Assert.Equal(port, containerPort);
        Assert.Equal(port, ((YamlSequenceNode)container["env"]).Where(variable => Scalar(variable["name"]) == "ASPNETCORE_HTTP_PORTS").Select(variable => Scalar(variable["value"])).Single());
        foreach (string probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            string path = Scalar(container[probe]["httpGet"]["path"]);
            Assert.True(routes.Contains(path), $"{probe} {path} is not a route of the service");
        }

        Assert.Equal("/health/ready", Scalar(container["readinessProbe"]["httpGet"]["path"]));
        Dictionary<string, string> annotations = Mapping(deployment["spec"]["template"]["metadata"]["annotations"]);
        Assert.Contains(annotations["prometheus.io/path"], routes);
        Assert.Equal(port, annotations["prometheus.io/port"]);
        string[] mounts = [.. ((YamlSequenceNode)container["volumeMounts"]).Select(mount => Scalar(mount["mountPath"]))];
        AssertUnderMount("deploy/kubernetes/base motor-api", configured["Motor__BundlePath"], mounts);
        Assert.Contains("/tmp", mounts); // readOnlyRootFilesystem: the runtime's temporary files
        Assert.Contains(Path.GetDirectoryName(api.Environment["Motor__Store__EmbeddedPath"])!, mounts);

        YamlMappingNode job = manifests.Single(manifest => Scalar(manifest["kind"]) == "Job");
        YamlMappingNode jobContainer = (YamlMappingNode)((YamlSequenceNode)job["spec"]["template"]["spec"]["containers"])[0];
        Assert.Equal(configured["Motor__BundlePath"], OptionValue(Sequence(jobContainer["args"]), "--current"));
        Assert.True(((YamlSequenceNode)jobContainer["env"]).Select(variable => Scalar(variable["name"])).All(s_trainerVariables.Contains), "trainer Job: unknown variables");
    }

    [Fact]
    public void Kubernetes_manifests_validate_strictly_against_the_Kubernetes_schemas()
    {
        string validator = Path.Combine(s_repository, "deploy", "validate");
        if (!ToolAvailable("node", "--version") || !Directory.Exists(Path.Combine(validator, "node_modules")))
        {
            NotRun("node or deploy/validate/node_modules is missing (npm ci --prefix deploy/validate)");
            return;
        }

        (int exitCode, string text) = Run("node", ["validate-manifests.mjs", Path.Combine(s_repository, "deploy", "kubernetes", "base")], validator);
        output.WriteLine(text);
        Assert.True(exitCode == 0, text);
        Assert.Contains(" 0 problems", text);
        Assert.Contains("ok api-deployment.yaml: Deployment/motor-api", text);
    }

    [Fact]
    public void Compose_file_is_valid_and_refuses_to_start_without_secrets()
    {
        if (!ToolAvailable("docker-compose", "version"))
        {
            NotRun("docker-compose is missing (apt-get install docker-compose)");
            return;
        }

        Dictionary<string, string?> secrets = new() { ["MOTOR_API_KEY"] = "k", ["MOTOR_REDIS_PASSWORD"] = "p" };
        (int withSecrets, string valid) = Run("docker-compose", ["config", "-q"], s_repository, secrets);
        Assert.True(withSecrets == 0, valid);
        (int withGpu, string services) = Run("docker-compose", ["--profile", "gpu", "config", "--services"], s_repository, secrets);
        Assert.True(withGpu == 0, services);
        Assert.Equal(["api", "redis", "trainer", "trainer-gpu"], services.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order().ToArray());

        (int withoutKey, string refused) = Run("docker-compose", ["config", "-q"], s_repository, new Dictionary<string, string?> { ["MOTOR_API_KEY"] = null, ["MOTOR_REDIS_PASSWORD"] = "p" });
        Assert.NotEqual(0, withoutKey);
        Assert.Contains("MOTOR_API_KEY", refused);
    }

    private async Task<IReadOnlySet<string>> RoutesAsync()
    {
        await using MotorApiFactory app = environment.CreateEmbedded();
        _ = app.Server; // builds the host and its endpoints
        return app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(endpoint => "/" + (endpoint.RoutePattern.RawText ?? string.Empty).TrimStart('/'))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Each variable is read by the service: a Motor__... key that binds to a property of <see cref="MotorOptions"/>, a
    /// Serilog__... key (read from configuration), a host variable, or one used only to build another container
    /// variable (<paramref name="interpolated"/>, Kubernetes' $(NAME)).
    /// </summary>
    private static void AssertSettings(string where, IEnumerable<string> variables, IReadOnlyCollection<string> interpolated)
    {
        foreach (string variable in variables)
        {
            bool known = variable.StartsWith("Motor__", StringComparison.Ordinal) ? BindsToOptions(variable)
                : variable.StartsWith("Serilog__", StringComparison.Ordinal) || s_hostVariables.Contains(variable)
                || interpolated.Contains(variable);
            Assert.True(known, $"{where}: {variable} is not a setting of the service");
        }
    }

    private static bool BindsToOptions(string variable)
    {
        Type type = typeof(MotorOptions);
        foreach (string part in variable.Split("__").Skip(1))
        {
            if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType)
            {
                if (!int.TryParse(part, out _))
                {
                    return false;
                }

                type = type.GetGenericArguments()[0];
                continue;
            }

            PropertyInfo? property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
            {
                return false;
            }

            type = property.PropertyType;
        }

        return true;
    }

    private static void AssertProbe(string where, string url, string port, IReadOnlySet<string> routes)
    {
        var uri = new Uri(url);
        Assert.True(uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) == port, $"{where}: probes port {uri.Port}, the service listens on {port}");
        Assert.True(routes.Contains(uri.AbsolutePath), $"{where}: {uri.AbsolutePath} is not a route of the service");
    }

    private static void AssertUnderMount(string where, string path, IEnumerable<string> mounts)
        => Assert.True(mounts.Any(mount => path.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal)), $"{where}: {path} is on no mounted volume");

    private static string OptionValue(IReadOnlyList<string> arguments, string option)
    {
        int index = arguments.ToList().IndexOf(option);
        Assert.True(index >= 0 && index + 1 < arguments.Count, $"{option} not in [{string.Join(", ", arguments)}]");
        return arguments[index + 1];
    }

    private static List<YamlNode> LoadYaml(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return [.. stream.Documents.Select(document => document.RootNode)];
    }

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? string.Empty;

    private static Dictionary<string, string> Mapping(YamlNode node)
        => ((YamlMappingNode)node).Children.ToDictionary(pair => Scalar(pair.Key), pair => Scalar(pair.Value), StringComparer.Ordinal);

    private static List<string> Sequence(YamlNode node) => [.. ((YamlSequenceNode)node).Select(Scalar)];

    private void NotRun(string reason)
    {
        Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), $"CI must provide it: {reason}");
        output.WriteLine($"NOT RUN: {reason}; CI installs it");
    }

    private static bool ToolAvailable(string tool, string argument)
    {
        try
        {
            return Run(tool, [argument], s_repository).ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static (int ExitCode, string Output) Run(string tool, IEnumerable<string> arguments, string directory, IReadOnlyDictionary<string, string?>? variables = null)
    {
        var start = new ProcessStartInfo(tool) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (KeyValuePair<string, string?> variable in variables ?? new Dictionary<string, string?>())
        {
            if (variable.Value is null)
            {
                start.Environment.Remove(variable.Key);
            }
            else
            {
                start.Environment[variable.Key] = variable.Value;
            }
        }

        using Process process = Process.Start(start)!;
        Task<string> standardOutput = process.StandardOutput.ReadToEndAsync();
        Task<string> standardError = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{tool} did not finish in 120 s");
        }

        return (process.ExitCode, standardOutput.Result + standardError.Result);
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Interpolation();

    /// <summary>One stage of the Dockerfile: its ENV, EXPOSE, HEALTHCHECK, ENTRYPOINT and the folders it creates writable (COPY --chown ... /empty DIR).</summary>
    private sealed partial record DockerStage(Dictionary<string, string> Environment, List<string> Exposed, string? HealthCheckUrl, List<string> EntryPoint, List<string> WritableFolders)
    {
        public static DockerStage Read(string dockerfile, string stage)
        {
            // Join continuation lines, drop comments.
            string text = Regex.Replace(File.ReadAllText(dockerfile), @"\\\r?\n\s*", " ");
            string[] lines = [.. text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#'))];
            int start = Array.FindIndex(lines, line => line.StartsWith("FROM ", StringComparison.Ordinal) && line.EndsWith($" AS {stage}", StringComparison.Ordinal));
            Assert.True(start >= 0, $"Dockerfile has no stage '{stage}'");
            var stageLines = lines.Skip(start + 1).TakeWhile(line => !line.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string line in stageLines.Where(line => line.StartsWith("ENV ", StringComparison.Ordinal)))
            {
                foreach (Match pair in EnvironmentPair().Matches(line[4..]))
                {
                    environment[pair.Groups["key"].Value] = pair.Groups["value"].Value;
                }
            }

            List<string> exposed = [.. stageLines.Where(line => line.StartsWith("EXPOSE ", StringComparison.Ordinal)).SelectMany(line => line[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries))];
            string? health = stageLines.SingleOrDefault(line => line.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
            string? url = health is null ? null : Url().Match(health).Value;
            List<string> entryPoint = [.. Quoted().Matches(stageLines.Single(line => line.StartsWith("ENTRYPOINT ", StringComparison.Ordinal))).Select(match => match.Groups[1].Value)];
            List<string> writable = [.. stageLines.Where(line => line.StartsWith("COPY ", StringComparison.Ordinal) && line.Contains("--chown", StringComparison.Ordinal) && line.Contains(" /empty ", StringComparison.Ordinal))
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last())];
            return new DockerStage(environment, exposed, url, entryPoint, writable);
        }

        [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>[^\s]+)")]
        private static partial Regex EnvironmentPair();

        [GeneratedRegex(@"http://[^""\s]+")]
        private static partial Regex Url();

        [GeneratedRegex(@"""([^""]*)""")]
        private static partial Regex Quoted();
    }
}
