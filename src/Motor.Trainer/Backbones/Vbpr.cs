using Motor.Trainer.Items;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Motor.Trainer.Backbones;

/// <summary>
/// VBPR (He and McAuley 2016) as MMRec's <c>VBPR</c>: item = [γ_i ; E f_i] with f_i the concatenated preprocessed modality
/// features and E = <c>item_linear</c> (F → d); user = <c>user_embedding</c> (Users x 2d, the [γ_u ; θ_u] halves).
/// MOTOR replaces γ_i by z_i. Loss: BPR + reg_weight · EmbLoss(u, i⁺, i⁻) on the full 2d vectors.
/// Cold items: [γ_i ; E f_i] as is (γ_i untrained for ID, z_i from tokens for MOTOR).
/// </summary>
public sealed class Vbpr : Backbone
{
    /// <summary>MMRec VBPR.yaml: embedding_size 64; reg_weight searched over 1e-5..2, 1e-4 here (our choice among them).</summary>
    /// <remarks>No token dropout by default: 0.5 lost to 0 on overall-valid Recall@20 on tiktok's cold-valid halves (seeds 1, 2).</remarks>
    public static readonly BackboneDescriptor Descriptor = new("vbpr", "VBPR", 1e-4, 0, true, ["own-vector"], (context, items) => new Vbpr(context, items));

    [ComponentName(Name = "user_embedding")]
    private readonly Parameter _userEmbedding;

    [ComponentName(Name = "item_linear")]
    private readonly Linear _itemLinear;

    [ComponentName(Name = "items")]
    private readonly ItemRepresentation _items;

    private readonly Tensor _features;
    private readonly double _regWeight;

    public Vbpr(BackboneContext context, ItemRepresentation items)
        : base("vbpr", items, context)
    {
        Tensor features = context.ItemFeatures ?? throw new ArgumentException("--backbone vbpr: the dataset has no feature modalities");
        _items = items;
        _regWeight = context.RegWeight;
        _userEmbedding = new Parameter(nn.init.xavier_uniform_(empty(context.UserCount, 2 * context.EmbeddingSize, device: context.Device)));
        _itemLinear = nn.Linear(features.shape[1], context.EmbeddingSize, hasBias: true, device: context.Device);
        RegisterComponents();

        // Assigned after registration on purpose: the features are data (from the dataset), not saved state.
        _features = features;
    }

    public override Tensor forward(Tensor users, Tensor positives, Tensor negatives)
    {
        long batch = users.shape[0];
        Tensor user = _userEmbedding.index_select(0, users);
        Tensor both = ItemVectors(cat([positives, negatives]));
        Tensor positive = both.narrow(0, 0, batch);
        Tensor negative = both.narrow(0, batch, batch);
        Tensor loss = BprLoss((user * positive).sum(1), (user * negative).sum(1));
        return AddRegulariser(loss, _regWeight, EmbeddingNormLoss(user, positive, negative));
    }

    public override ServingVectors ComputeServingVectors()
    {
        using var scope = NewDisposeScope();
        Tensor trained = cat([_items.All(), _itemLinear.forward(_features)], 1);
        Tensor items = WithColdItems(trained, ColdServing(), _features);
        return new ServingVectors(_userEmbedding.detach().clone().MoveToOuterDisposeScope(), items.detach().MoveToOuterDisposeScope());
    }

    /// <summary>[z_i ; E f_i + b]: γ_i is z_i for MOTOR and an untrained row for ID.</summary>
    public override ColdServingRule ColdServing() => new() { FeatureProjection = _itemLinear.weight, FeatureProjectionBias = _itemLinear.bias, Boost = ColdBoost };

    private Tensor ItemVectors(Tensor indices)
        => cat([_items.forward(indices), _itemLinear.forward(_features.index_select(0, indices))], 1);
}
