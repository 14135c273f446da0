using Motor.Trainer.Items;
using static TorchSharp.torch;

namespace Motor.Trainer.Tests.Training;

[Collection(TorchTestCollection.Name)]
public sealed class TokenDropoutTests
{
    private const int Items = 6;
    private const int M = 4;
    private const int K = 8;

    /// <summary>
    /// Token dropout acts in training mode only; there the kept tokens are rescaled so that, for the linear no-TCN
    /// encoder, the expected item vector equals the evaluation-mode vector.
    /// </summary>
    [Fact]
    public void DropoutIsTrainingOnlyAndUnbiased()
    {
        manual_seed(21);
        long[] codes = [.. Enumerable.Range(0, Items * M).Select(index => (long)((index * 5) % K))];
        var options = new MotorEncoderOptions { Dimension = 8, UseTcn = false, TokenDropout = 0.5 };
        using var encoder = new MotorItemEncoder(codes, Items, 1, M, K, options, CPU);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        encoder.eval();
        Tensor expected = encoder.All();
        Assert.True(encoder.All().allclose(expected, rtol: 0, atol: 0), "evaluation mode must be deterministic");

        encoder.train();
        Tensor first = encoder.All();
        Assert.False(first.allclose(expected), "training mode must drop tokens");
        Tensor sum = zeros_like(expected);
        const int samples = 4000;
        for (int sample = 0; sample < samples; sample++)
        {
            sum.add_(encoder.All());
        }

        double largestGap = (sum / samples - expected).abs().max().item<float>();
        double scale = expected.abs().max().item<float>();
        Assert.True(largestGap < 0.05 * scale, $"mean over {samples} dropped encodings is {largestGap:E2} from the full one (scale {scale:E2})");
    }

    [Fact]
    public void DropoutOutsideItsRangeIsAClearError()
    {
        var options = new MotorEncoderOptions { TokenDropout = 1.0 };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("--token-dropout", error.Message, StringComparison.Ordinal);
    }
}
