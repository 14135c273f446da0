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

    /// <summary>Item dropout encodes a dropped item from no token (zero for the no-TCN mean) and leaves the others whole.</summary>
    [Fact]
    public void ItemDropoutEncodesDroppedItemsFromNoTokenAndKeepsTheOthersWhole()
    {
        manual_seed(5);
        const int items = 40;
        long[] codes = [.. Enumerable.Range(0, items * M).Select(index => (long)((index * 3) % K))];
        var options = new MotorEncoderOptions { Dimension = 8, UseTcn = false, ItemDropout = 0.5 };
        using var encoder = new MotorItemEncoder(codes, items, 1, M, K, options, CPU);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        encoder.eval();
        float[] expected = encoder.All().data<float>().ToArray();
        encoder.train();
        float[] dropped = encoder.All().data<float>().ToArray();

        int zeroRows = 0;
        for (int item = 0; item < items; item++)
        {
            float[] row = dropped[(item * 8)..((item + 1) * 8)];
            if (row.All(value => value == 0))
            {
                zeroRows++;
            }
            else
            {
                Assert.Equal(expected[(item * 8)..((item + 1) * 8)], row);
            }
        }

        Assert.InRange(zeroRows, 5, items - 5);
    }

    [Fact]
    public void DropoutOutsideItsRangeIsAClearError()
    {
        var options = new MotorEncoderOptions { TokenDropout = 1.0 };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("--token-dropout", error.Message, StringComparison.Ordinal);
        ArgumentException itemError = Assert.Throws<ArgumentException>(new MotorEncoderOptions { ItemDropout = -0.1 }.Validate);
        Assert.Contains("--item-dropout", itemError.Message, StringComparison.Ordinal);
    }
}
