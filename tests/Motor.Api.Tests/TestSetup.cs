using System.Runtime.CompilerServices;
using Motor.Trainer.Native;

namespace Motor.Api.Tests;

internal static class TestSetup
{
    /// <summary>The test host trains the first-run model in process: patch TorchSharp's glue before any torch call.</summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchNativeFix.EnsureApplied();
}
