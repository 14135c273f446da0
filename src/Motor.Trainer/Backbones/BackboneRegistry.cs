using Motor.Trainer.Items;

namespace Motor.Trainer.Backbones;

/// <summary>
/// A backbone's name, its published defaults (MMRec configs), the names of its rules for items without training
/// interactions (<c>--cold-rule</c>; the first is its default) and its factory.
/// </summary>
public sealed record BackboneDescriptor(
    string Name,
    string DisplayName,
    double DefaultRegWeight,
    int DefaultLayers,
    bool NeedsFeatures,
    IReadOnlyList<string> ColdRules,
    Func<BackboneContext, ItemRepresentation, Backbone> Create)
{
    /// <summary>
    /// MOTOR's training-time token dropout for this backbone when <c>--token-dropout</c> is not given: part of the cold-start
    /// recipe, chosen per backbone on tiktok's validation (docs/RESULTS.md, "Cold start under PROTOCOL.md").
    /// </summary>
    public double DefaultTokenDropout { get; init; }
}

/// <summary>
/// The backbones by <c>--backbone</c> name. Adding one (FREEDOM, BM3, LATTICE, ...) is one file with its
/// <see cref="BackboneDescriptor"/> and one line here.
/// </summary>
public static class BackboneRegistry
{
    private static readonly BackboneDescriptor[] s_all =
    [
        BprMf.Descriptor,
        Vbpr.Descriptor,
        LightGcn.Descriptor,
        Freedom.Descriptor,
    ];

    public static IReadOnlyList<BackboneDescriptor> All => s_all;

    public static BackboneDescriptor Get(string name)
        => s_all.FirstOrDefault(descriptor => string.Equals(descriptor.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"--backbone: unknown backbone '{name}' (expected one of {string.Join(", ", s_all.Select(d => d.Name))})");
}
