using System.Text.Json;
using Motor.Trainer.Commands;
using Spectre.Console;
using Xunit.Abstractions;

namespace Motor.Trainer.Tests;

public sealed class CliTests(ITestOutputHelper output)
{
    [Fact]
    public void DatasetJsonOnTiktok()
    {
        string? data = RealDatasets.Find("tiktok", output);
        if (data is null)
        {
            return;
        }

        JsonElement json = RunJson(["dataset", "--data", data, "--json"]);
        Assert.Equal(9308, json.GetProperty("users").GetInt32());
        Assert.Equal(6710, json.GetProperty("items").GetInt32());
        Assert.Equal(68722, json.GetProperty("interactions").GetInt32());
        Assert.Equal(59541, json.GetProperty("train").GetInt32());
        Assert.Equal(3051, json.GetProperty("valid").GetInt32());
        Assert.Equal(6130, json.GetProperty("test").GetInt32());
        Assert.Equal(465, json.GetProperty("coldItems").GetInt32());
        Assert.Equal(68722.0 / (9308.0 * 6710.0), json.GetProperty("density").GetDouble(), 12);
        var modalities = json.GetProperty("modalities").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("dim").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["image"] = 128, ["audio"] = 128 }, modalities);
        Assert.True(json.GetProperty("usersWithoutTraining").GetInt32() >= 0);
    }

    [Fact]
    public void DatasetJsonOnBaby()
    {
        string? data = RealDatasets.Find("baby", output);
        if (data is null)
        {
            return;
        }

        JsonElement json = RunJson(["dataset", "--data", data, "--json"]);
        Assert.Equal(19445, json.GetProperty("users").GetInt32());
        Assert.Equal(7050, json.GetProperty("items").GetInt32());
        Assert.Equal(160792, json.GetProperty("interactions").GetInt32());
        Assert.Equal(0, json.GetProperty("modalities").GetArrayLength());
    }

    [Fact]
    public void DatasetTablePrintsTheCounts()
    {
        string? data = RealDatasets.Find("tiktok", output);
        if (data is null)
        {
            return;
        }

        (int code, string stdout, _) = Run(["dataset", "--data", data]);
        Assert.Equal(0, code);
        Assert.Contains("9,308", stdout);
        Assert.Contains("68,722", stdout);
        Assert.Contains("128 x float16", stdout);
    }

    [Fact]
    public void MissingFolderIsOneLineAndExitCodeOne()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"motor-missing-{Guid.NewGuid():N}");
        (int code, string stdout, string stderr) = Run(["dataset", "--data", missing]);

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, stdout.Trim());
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: --data: folder '{missing}' does not exist", line.Trim());
    }

    [Fact]
    public void BadDatasetFileIsOneLineNamingTheFile()
    {
        string folder = Directory.CreateTempSubdirectory("motor-bad-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "bad.inter"), "userID\titemID\tx_label\n0\tnot-a-number\t0\n");
            (int code, _, string stderr) = Run(["dataset", "--data", folder]);

            Assert.Equal(1, code);
            string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", line);
            Assert.Contains("bad.inter", line);
            Assert.DoesNotContain(" at ", line);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("--device", "gpu", "--device: expected auto, cpu or cuda, got 'gpu'")]
    [InlineData("--m", "0", "--m: must be positive, got 0")]
    public void BadTokenizeOptionIsOneLine(string option, string value, string expected)
    {
        string data = Directory.CreateTempSubdirectory("motor-opt-").FullName;
        try
        {
            (int code, _, string stderr) = Run(["tokenize", "--data", data, "--out", Path.Combine(data, "out"), option, value]);
            Assert.Equal(1, code);
            Assert.Equal($"error: {expected}", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Trim());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void DocumentedShortSpellingsMapToLongOptions()
    {
        Assert.Equal(["tokenize", "--subspaces", "8", "--centroids=256"], TrainerApp.NormalizeArguments(["tokenize", "--m", "8", "--k=256"]));
    }

    private static JsonElement RunJson(string[] args)
    {
        (int code, string stdout, string stderr) = Run(args);
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement;
    }

    internal static (int Code, string Stdout, string Stderr) Run(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(stdout),
        });
        int code = TrainerApp.Run(args, console, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
