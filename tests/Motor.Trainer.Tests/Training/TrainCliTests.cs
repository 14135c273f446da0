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
    [InlineData("train", "--backbone", "no-such-model", "--backbone: unknown backbone 'no-such-model' (expected one of bpr, vbpr, lightgcn, freedom)")]
    [InlineData("train", "--items", "both", "--items: expected id or motor, got 'both'")]
    [InlineData("train", "--tcn-order", "4", "--tcn-order: expected 1, 2 or high, got '4'")]
    [InlineData("train", "--tcn-layers", "4", "--tcn-layers must be in 0..3, got 4")]
    [InlineData("experiment", "--tcn-branches", "all", "--tcn-branches: expected specific, agnostic or both, got 'all'")]
    [InlineData("experiment", "--cold-items", "1.5", "--cold-items: must be in [0, 1), got 1.5")]
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
