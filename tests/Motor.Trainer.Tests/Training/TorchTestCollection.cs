namespace Motor.Trainer.Tests.Training;

/// <summary>
/// Torch's default generator is process-wide: tests that seed it and then initialise models must not interleave with
/// each other, or the same seed would give different weights.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchTestCollection
{
    public const string Name = "torch-seeded";
}
