using System.Runtime.CompilerServices;
using Motor.Trainer.Native;

namespace Motor.Trainer.Tests;

internal static class TestSetup
{
    /// <summary>The test host is its own process: patch TorchSharp's glue before any test touches torch.</summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchNativeFix.EnsureApplied();
}
