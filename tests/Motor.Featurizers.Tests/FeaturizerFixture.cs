namespace Motor.Featurizers.Tests;

/// <summary>One text and one image featurizer per test class: loading the models takes a second or two.</summary>
public sealed class FeaturizerFixture : IDisposable
{
    public TextFeaturizer Text { get; } = new();

    public ImageFeaturizer Image { get; } = new();

    public void Dispose()
    {
        Text.Dispose();
        Image.Dispose();
    }
}
