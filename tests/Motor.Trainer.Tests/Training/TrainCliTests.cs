using Motor.Trainer.Commands;
using Motor.Trainer.Training;
using TorchSharp;

namespace Motor.Trainer.Tests.Training;

public sealed class TrainCliTests
{
    [Fact]
    public void TrainOnCudaWithoutACudaBackendIsOneClearLine()
    {
        if (torch.cuda.is_available())
        {
            return;
        }

        string data = Directory.CreateTempSubdirectory("motor-train-cuda-").FullName;
        try
        {
            (int code, _, string stderr) = CliTests.Run(["train", "--data", data, "--out", Path.Combine(data, "out"), "--device", "cuda"]);
            Assert.Equal(1, code);
            string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Trim();
            Assert.StartsWith("error: --device cuda: CUDA requested but TorchSharp has no CUDA backend", line);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("bpr", 0.5)]
    [InlineData("lightgcn", 0.5)]
    [InlineData("vbpr", 0.0)]
    [InlineData("freedom", 0.0)]
    public void MotorDefaultsAreTheBackbonesColdStartRecipe(string backbone, double tokenDropout)
    {
        var settings = new TrainSettings();

        RunConfig motor = settings.ToConfig(backbone, "motor");
        Assert.Equal(tokenDropout, motor.Encoder.TokenDropout);
        Assert.True(motor.ChooseColdBoost);
        Assert.False(settings.ToConfig(backbone, "id").ChooseColdBoost);

        settings.TokenDropout = 0.25;
        settings.ColdBoost = "1.5";
        RunConfig given = settings.ToConfig(backbone, "motor");
        Assert.Equal(0.25, given.Encoder.TokenDropout);
        Assert.False(given.ChooseColdBoost);
        Assert.Equal(1.5, given.ColdBoost);
    }

    [Theory]
    [InlineData("train", "--backbone", "no-such-model", "--backbone: unknown backbone 'no-such-model' (expected one of bpr, vbpr, lightgcn, freedom)")]
    [InlineData("train", "--items", "both", "--items: expected id or motor, got 'both'")]
    [InlineData("train", "--tcn-order", "4", "--tcn-order: expected 1, 2 or high, got '4'")]
    [InlineData("train", "--tcn-layers", "4", "--tcn-layers must be in 0..3, got 4")]
    [InlineData("experiment", "--tcn-branches", "all", "--tcn-branches: expected specific, agnostic or both, got 'all'")]
    [InlineData("experiment", "--cold-items", "1.5", "--cold-items: must be in [0, 1), got 1.5")]
    [InlineData("train", "--cold-boost", "high", "--cold-boost: expected a number or auto, got 'high'")]
    [InlineData("train", "--cold-boost", "0", "--cold-boost: must be in (0, 100], got 0")]
    [InlineData("experiment", "--seeds", "1,x", "--seeds: 'x' is not a non-negative integer")]
    [InlineData("experiment", "--seeds", "1,-2", "--seeds: '-2' is not a non-negative integer")]
    [InlineData("experiment", "--seeds", "3,1,3", "--seeds: each seed once, got '3,1,3'")]
    public void BadTrainingOptionIsOneLine(string command, string option, string value, string expected)
    {
        string data = Directory.CreateTempSubdirectory("motor-train-opt-").FullName;
        try
        {
            (int code, _, string stderr) = CliTests.Run([command, "--data", data, "--out", Path.Combine(data, "out"), option, value]);
            Assert.Equal(1, code);
            Assert.Equal($"error: {expected}", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Trim());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
