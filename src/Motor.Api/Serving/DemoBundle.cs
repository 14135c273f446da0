namespace Motor.Api.Serving;

/// <summary>
/// The bundle served when Motor:BundlePath is empty: a small MOTOR BPR model on a synthetic dataset, shipped with the
/// service (src/Motor.Api/demo-bundle, copied next to the binaries) so that a fresh clone serves at once without the
/// trainer. It is made by <c>motor-trainer demo-bundle --out src/Motor.Api/demo-bundle</c>, and a trainer test
/// regenerates it and compares.
/// </summary>
public static class DemoBundle
{
    public const string FolderName = "demo-bundle";

    public static string ShippedPath => Path.Combine(AppContext.BaseDirectory, FolderName);
}
