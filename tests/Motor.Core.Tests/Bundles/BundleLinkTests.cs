using Motor.Core.Bundles;

namespace Motor.Core.Tests.Bundles;

public sealed class BundleLinkTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public void Point_switches_a_relative_link_between_bundles_and_resolve_follows_it()
    {
        string first = Path.Combine(_temp.Path, "models", "v1");
        string second = Path.Combine(_temp.Path, "models", "v2");
        float[] firstVectors = ModelBundleWriter.Write(first, BundleFixture.Motor(seed: 1)).ItemVectors;
        float[] secondVectors = ModelBundleWriter.Write(second, BundleFixture.Motor(seed: 2)).ItemVectors;
        Assert.NotEqual(firstVectors, secondVectors);
        string current = Path.Combine(_temp.Path, "models", "current");

        BundleLink.Point(current, first);
        Assert.Equal("v1", new FileInfo(current).LinkTarget);
        Assert.Equal(first, BundleLink.Resolve(current));
        Assert.Equal(firstVectors, ModelBundleReader.Load(current).ItemVectors);

        BundleLink.Point(current, second);
        Assert.Equal(second, BundleLink.Resolve(current));
        Assert.Equal(secondVectors, ModelBundleReader.Load(current).ItemVectors);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_temp.Path, "models"), ".*")); // no temporary link left

        // The pair moves together: the link is relative.
        string moved = Path.Combine(_temp.Path, "moved");
        Directory.Move(Path.Combine(_temp.Path, "models"), moved);
        Assert.Equal(Path.Combine(moved, "v2"), BundleLink.Resolve(Path.Combine(moved, "current")));
    }

    [Fact]
    public void Point_refuses_to_replace_a_real_folder_or_to_point_at_a_non_bundle()
    {
        string bundle = Path.Combine(_temp.Path, "v1");
        ModelBundleWriter.Write(bundle, BundleFixture.Motor());
        string realFolder = Path.Combine(_temp.Path, "current");
        Directory.CreateDirectory(realFolder);
        IOException refused = Assert.Throws<IOException>(() => BundleLink.Point(realFolder, bundle));
        Assert.Contains("not a link", refused.Message);
        Assert.True(Directory.Exists(realFolder));

        IOException notBundle = Assert.Throws<IOException>(() => BundleLink.Point(Path.Combine(_temp.Path, "other"), _temp.Path));
        Assert.Contains("manifest.json missing", notBundle.Message);
    }

    [Fact]
    public void Resolve_of_a_plain_folder_is_the_folder()
        => Assert.Equal(_temp.Path.TrimEnd('/'), BundleLink.Resolve(_temp.Path + "/"));

    [Fact]
    public void Resolve_of_a_missing_path_is_the_path()
        => Assert.Equal(Path.Combine(_temp.Path, "not-yet"), BundleLink.Resolve(Path.Combine(_temp.Path, "not-yet")));

    public void Dispose() => _temp.Dispose();
}
