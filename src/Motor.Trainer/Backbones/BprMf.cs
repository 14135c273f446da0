using Motor.Trainer.Items;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Motor.Trainer.Backbones;

/// <summary>
/// BPR-MF (Rendle et al. 2009) as MMRec's <c>BPR</c>: score = u · i, BPR loss + reg_weight · EmbLoss(u, i⁺, i⁻).
/// Parameters: <c>user_embedding</c> (Users x d, Xavier) and <c>items.*</c> (the item representation).
/// Cold items: their item vector as is (an untrained row for ID, the token encoding for MOTOR), which is also what a
/// trained item is served, so a new item is in the same space and scale as the catalog by construction.
/// </summary>
public sealed class BprMf : Backbone
{
    /// <summary>MMRec BPR.yaml: embedding_size 64; reg_weight searched over 1e-5..2, 1e-4 here (our choice among them).</summary>
    public static readonly BackboneDescriptor Descriptor = new("bpr", "BPR", 1e-4, 0, false, ["own-vector"], (context, items) => new BprMf(context, items))
    {
        // Best overall-valid Recall@20 of 0, 0.5 and 0.75 on tiktok's cold-valid halves (seeds 1 and 2).
        DefaultTokenDropout = 0.5,
    };

    [ComponentName(Name = "user_embedding")]
    private readonly Parameter _userEmbedding;

    [ComponentName(Name = "items")]
    private readonly ItemRepresentation _items;

    private readonly double _regWeight;

    public BprMf(BackboneContext context, ItemRepresentation items)
        : base("bpr", items, context)
    {
        _items = items;
        _regWeight = context.RegWeight;
        _userEmbedding = new Parameter(nn.init.xavier_uniform_(empty(context.UserCount, context.EmbeddingSize, device: context.Device)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor users, Tensor positives, Tensor negatives)
    {
        long batch = users.shape[0];
        Tensor user = _userEmbedding.index_select(0, users);
        Tensor both = _items.forward(cat([positives, negatives]));
        Tensor positive = both.narrow(0, 0, batch);
        Tensor negative = both.narrow(0, batch, batch);
        Tensor loss = BprLoss((user * positive).sum(1), (user * negative).sum(1));
        return AddRegulariser(loss, _regWeight, EmbeddingNormLoss(user, positive, negative));
    }

    public override ServingVectors ComputeServingVectors()
    {
        using var scope = NewDisposeScope();
        Tensor items = WithColdItems(_items.All(), ColdServing(), null);
        return new ServingVectors(_userEmbedding.detach().clone().MoveToOuterDisposeScope(), items.detach().MoveToOuterDisposeScope());
    }

    public override ColdServingRule ColdServing() => new() { Boost = ColdBoost };
}
