using Motor.Core.Datasets;
using Motor.Trainer.Items;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Motor.Trainer.Backbones;

/// <summary>
/// LightGCN (He et al. 2020) as MMRec's <c>LightGCN</c>: ego = [user_embedding ; item ego vectors], propagated
/// <c>Layers</c> times over Â = D^-1/2 A D^-1/2 of the symmetric user-item training graph (degrees + 1e-7), final vectors
/// the mean of the ego and all layers. Loss: BPR on the final vectors + reg_weight · EmbLoss on the batch's ego vectors.
/// Items without training interactions are isolated nodes, whose propagated layers are all zero; they are served by the
/// cold-item rule (<c>--cold-rule</c>): <c>layer-mean</c> z_i / (Layers + 1), what propagation alone gives and what shrinks
/// them below every trained item; <c>ego</c> z_i as is; <c>norm-matched</c> z_i scaled by the ratio of the mean norm of
/// the trained items' final vectors to the mean norm of their ego vectors, so that a new item has the catalog's scale.
/// With <c>--cold-dropout p</c> each batch item is scored by that rule with probability p during training, so the
/// encoder learns ego vectors that compete with propagated ones (DropoutNet, NeurIPS 2017, in graph form).
/// </summary>
public sealed class LightGcn : Backbone
{
    /// <summary>MMRec LightGCN.yaml: embedding_size 64; n_layers searched over 1..4, reg_weight over 1e-6..1e-2: 3 and 1e-4 here.</summary>
    public static readonly BackboneDescriptor Descriptor = new("lightgcn", "LightGCN", 1e-4, 3, false, ["norm-matched", "layer-mean", "ego"], (context, items) => new LightGcn(context, items))
    {
        // Best overall-valid Recall@20 of 0 and 0.5 on tiktok's cold-valid halves (seeds 1 and 2).
        DefaultTokenDropout = 0.5,
    };

    [ComponentName(Name = "user_embedding")]
    private readonly Parameter _userEmbedding;

    [ComponentName(Name = "items")]
    private readonly ItemRepresentation _items;

    private readonly Tensor _adjacency;

    private readonly string _coldRule;
    private readonly double _coldDropout;
    private readonly double _regWeight;
    private readonly int _layers;
    private readonly int _userCount;

    public LightGcn(BackboneContext context, ItemRepresentation items)
        : base("lightgcn", items, context)
    {
        _items = items;
        _regWeight = context.RegWeight;
        _layers = context.Layers;
        _userCount = context.UserCount;
        _userEmbedding = new Parameter(nn.init.xavier_uniform_(empty(context.UserCount, context.EmbeddingSize, device: context.Device)));
        RegisterComponents();

        // Assigned after registration on purpose: the graph is data, not state (a sparse buffer could not be saved either).
        _adjacency = NormalizedAdjacency(context.TrainByUser, context.UserCount, context.ItemCount, context.Device);
        _coldRule = context.ColdRule;
        _coldDropout = context.ColdDropout;
    }

    public int Layers => _layers;

    public override Tensor forward(Tensor users, Tensor positives, Tensor negatives)
    {
        (Tensor allUsers, Tensor allItems, Tensor itemEgo) = Propagate();
        Tensor user = allUsers.index_select(0, users);
        Tensor positive = allItems.index_select(0, positives);
        Tensor negative = allItems.index_select(0, negatives);
        if (training && _coldDropout > 0)
        {
            using Scalar scale = ColdScale(allItems, itemEgo);
            using Scalar probability = _coldDropout;
            positive = where(rand(positives.shape[0], 1, device: positives.device) < probability, itemEgo.index_select(0, positives) * scale, positive);
            negative = where(rand(negatives.shape[0], 1, device: negatives.device) < probability, itemEgo.index_select(0, negatives) * scale, negative);
        }

        Tensor loss = BprLoss((user * positive).sum(1), (user * negative).sum(1));
        Tensor regulariser = EmbeddingNormLoss(
            _userEmbedding.index_select(0, users),
            itemEgo.index_select(0, positives),
            itemEgo.index_select(0, negatives));
        return AddRegulariser(loss, _regWeight, regulariser);
    }

    public override ServingVectors ComputeServingVectors()
    {
        using var scope = NewDisposeScope();
        (Tensor users, Tensor items, Tensor ego) = Propagate();
        Tensor served = WithColdItems(items, Rule(ColdScale(items, ego)), null);
        return new ServingVectors(users.detach().MoveToOuterDisposeScope(), served.detach().MoveToOuterDisposeScope());
    }

    public override ColdServingRule ColdServing()
    {
        using var scope = NewDisposeScope();
        (_, Tensor items, Tensor ego) = Propagate();
        return Rule(ColdScale(items, ego));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _adjacency.Dispose();
        }

        base.Dispose(disposing);
    }

    private ColdServingRule Rule(float scale) => new() { Scale = scale, Boost = ColdBoost };

    /// <summary>The factor of the cold-item rule, from the current weights (a constant of the exported encoder).</summary>
    private float ColdScale(Tensor finalItems, Tensor ego)
    {
        switch (_coldRule)
        {
            case "layer-mean":
                return 1f / (_layers + 1);
            case "ego":
                return 1f;
            default:
                using (no_grad())
                using (var scope = NewDisposeScope())
                {
                    Tensor trained = IsolatedItems.logical_not().squeeze(1);
                    double finalNorm = finalItems.detach()[trained].norm(1, keepdim: false).mean().item<float>();
                    double egoNorm = ego.detach()[trained].norm(1, keepdim: false).mean().item<float>();
                    return egoNorm > 0 ? (float)(finalNorm / egoNorm) : 1f;
                }
        }
    }

    /// <summary>Â as a sparse COO tensor of (Users + Items)², users first (each edge once per direction, no duplicates).</summary>
    public static Tensor NormalizedAdjacency(CsrMatrix trainByUser, int userCount, int itemCount, Device device)
    {
        int edges = trainByUser.NonZeroCount;
        var degrees = new double[userCount + itemCount];
        for (int user = 0; user < userCount; user++)
        {
            degrees[user] = trainByUser.RowLength(user);
            foreach (int item in trainByUser.Row(user))
            {
                degrees[userCount + item] += 1;
            }
        }

        long[] indices = new long[4 * edges];
        float[] values = new float[2 * edges];
        int next = 0;
        for (int user = 0; user < userCount; user++)
        {
            foreach (int item in trainByUser.Row(user))
            {
                int node = userCount + item;
                float value = (float)(1.0 / Math.Sqrt((degrees[user] + 1e-7) * (degrees[node] + 1e-7)));
                indices[next] = user;
                indices[(2 * edges) + next] = node;
                indices[next + edges] = node;
                indices[(2 * edges) + next + edges] = user;
                values[next] = value;
                values[next + edges] = value;
                next++;
            }
        }

        long nodes = userCount + itemCount;
        using Tensor indexTensor = tensor(indices, [2, 2 * edges], ScalarType.Int64);
        using Tensor valueTensor = tensor(values, [2 * edges], ScalarType.Float32);
        using Tensor sparse = sparse_coo_tensor(indexTensor, valueTensor, [nodes, nodes]);
        return sparse.to(device);
    }

    private (Tensor Users, Tensor Items, Tensor ItemEgo) Propagate()
    {
        Tensor itemEgo = _items.All();
        Tensor mean = LayerMean(_adjacency, cat([_userEmbedding, itemEgo], 0), _layers);
        return (mean.narrow(0, 0, _userCount), mean.narrow(0, _userCount, mean.shape[0] - _userCount), itemEgo);
    }
}
