using System.Text.Json;

namespace Motor.Trainer.Tests.Training;

[Collection(TorchTestCollection.Name)]
public sealed class ScaleBenchTests
{
    [Fact]
    public void Scale_bench_prints_one_measurement_per_configuration_and_MOTOR_item_side_grows_by_its_tokens_only()
    {
        JsonElement motor = Measure("motor", 5000);
        JsonElement id = Measure("id", 5000);
        Assert.Equal(5000, motor.GetProperty("catalogItems").GetInt32());
        Assert.Equal(2, motor.GetProperty("measuredSteps").GetInt32());
        Assert.True(motor.GetProperty("medianStepMilliseconds").GetDouble() > 0);

        // 4,096 pairs in batches of 256: 16 steps per epoch.
        Assert.Equal(motor.GetProperty("medianStepMilliseconds").GetDouble() * 16 / 1000, motor.GetProperty("epochSeconds").GetDouble(), 6);
        Assert.Equal(5000L * 64 * 4, id.GetProperty("itemSideBytes").GetInt64());

        // MOTOR's parameters do not grow with the catalog: 5,000 more items add their 16 one-byte tokens each.
        JsonElement larger = Measure("motor", 10_000);
        Assert.Equal(5000L * 16, larger.GetProperty("itemSideBytes").GetInt64() - motor.GetProperty("itemSideBytes").GetInt64());
    }

    [Fact]
    public void Unknown_item_kind_is_one_line()
    {
        (int code, _, string stderr) = CliTests.Run(["scale-bench", "--items", "tokens"]);
        Assert.Equal(1, code);
        Assert.Equal("error: --items: expected id or motor, got 'tokens'", stderr.Trim());
    }

    private static JsonElement Measure(string items, int catalog)
    {
        TextWriter original = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            (int code, _, string stderr) = CliTests.Run(["scale-bench", "--items", items, "--catalog", catalog.ToString(System.Globalization.CultureInfo.InvariantCulture), "--users", "50", "--interactions", "4096", "--batch", "256", "--steps", "2", "--device", "cpu"]);
            Assert.True(code == 0, stderr);
        }
        finally
        {
            Console.SetOut(original);
        }

        return JsonDocument.Parse(output.ToString().Trim().Split('\n')[^1]).RootElement;
    }
}
