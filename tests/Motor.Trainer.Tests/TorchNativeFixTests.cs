using Motor.Trainer.Native;
using TorchSharp;
using Xunit.Abstractions;

namespace Motor.Trainer.Tests;

public sealed class TorchNativeFixTests(ITestOutputHelper output)
{
    [Fact]
    public void PatchMakesTheGlibcxxNeedWeakOnceOnACopyOfTheRealLibrary()
    {
        string? original = FindPackagedLibrary();
        if (original is null)
        {
            output.WriteLine("NOT RUN: TorchSharp's packaged libLibTorchSharp.so not found in the NuGet cache.");
            return;
        }

        string copy = Path.Combine(Path.GetTempPath(), $"motor-native-{Guid.NewGuid():N}.so");
        File.Copy(original, copy);
        try
        {
            byte[] before = File.ReadAllBytes(copy);
            Assert.True(TorchNativeFix.PatchFile(copy));
            byte[] after = File.ReadAllBytes(copy);

            Assert.Equal(before.Length, after.Length);
            int[] changed = [.. Enumerable.Range(0, before.Length).Where(i => before[i] != after[i])];
            int offset = Assert.Single(changed);
            Assert.Equal(0x2, after[offset] & ~before[offset]);

            // The flag is set: a second patch finds nothing to do and leaves the file alone.
            Assert.False(TorchNativeFix.PatchFile(copy));
            Assert.Equal(after, File.ReadAllBytes(copy));
            Assert.False(TorchNativeFix.MarkVersionNeedWeak(after, TorchNativeFix.MissingVersion));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Fact]
    public void RejectsAFileThatIsNotElf()
    {
        var exception = Assert.Throws<InvalidDataException>(() => TorchNativeFix.MarkVersionNeedWeak(new byte[128], TorchNativeFix.MissingVersion));
        Assert.Contains("ELF", exception.Message);
    }

    [Fact]
    public void TorchWorksInTheTestProcess()
    {
        TorchNativeFix.EnsureApplied();
        using torch.Tensor sum = torch.arange(1, 5, dtype: torch.ScalarType.Float32).sum();
        Assert.Equal(10f, sum.item<float>());
    }

    private static string? FindPackagedLibrary()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string version = typeof(torch).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "";
        string path = Path.Combine(packages, "torchsharp", version, "runtimes", "linux-x64", "native", TorchNativeFix.LibraryName);
        return File.Exists(path) ? path : null;
    }
}
