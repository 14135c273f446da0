namespace Motor.Trainer.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Builds() => Assert.NotNull(typeof(SmokeTests).Assembly);
}
