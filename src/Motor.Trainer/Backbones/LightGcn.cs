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
/// Cold items are isolated nodes: every propagated layer is zero, so their vector is ego / (Layers + 1).
/// </summary>
public sealed class LightGcn : Backbone
{
    /// <summary>MMRec LightGCN.yaml: embedding_size 64; n_layers searched over 1..4, reg_weight over 1e-6..1e-2: 3 and 1e-4 here.</summary>
    public static readonly BackboneDescriptor Descriptor = new("lightgcn", "LightGCN", 1e-4, 3, false, (context, items) => new LightGcn(context, items));

    [ComponentName(Name = "user_embedding")]
    private readonly Parameter _userEmbedding;

    [ComponentName(Name = "items")]
    private readonly ItemRepresentation _items;

    private readonly Tensor _adjacency;
    private readonly double _regWeight;
    private readonly int _layers;
    private readonly int _userCount;

    public LightGcn(BackboneContext context, ItemRepresentation items)
        : base("lightgcn", items)
    {
        _items = items;
        _regWeight = context.RegWeight;
        _layers = context.Layers;
        _userCount = context.UserCount;
        _userEmbedding = new Parameter(nn.init.xavier_uniform_(empty(context.UserCount, context.EmbeddingSize, device: context.Device)));
        RegisterComponents();

        // Assigned after registration on purpose: the graph is data, not state (a sparse buffer could not be saved either).
        _adjacency = NormalizedAdjacency(context.TrainByUser, context.UserCount, context.ItemCount, context.Device);
    }

    public int Layers => _layers;

    public override Tensor forward(Tensor users, Tensor positives, Tensor negatives)
    {
        (Tensor allUsers, Tensor allItems, Tensor itemEgo) = Propagate();
        Tensor user = allUsers.index_select(0, users);
        Tensor positive = allItems.index_select(0, positives);
        Tensor negative = allItems.index_select(0, negatives);
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
        (Tensor users, Tensor items, _) = Propagate();
        return new ServingVectors(users.detach().MoveToOuterDisposeScope(), items.detach().MoveToOuterDisposeScope());
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
        Tensor layer = cat([_userEmbedding, itemEgo], 0);
        Tensor sum = layer;
        for (int step = 0; step < _layers; step++)
        {
            layer = _adjacency.mm(layer);
            sum = sum + layer;
        }

        using Scalar layerCount = _layers + 1;
        Tensor mean = sum / layerCount;
        return (mean.narrow(0, 0, _userCount), mean.narrow(0, _userCount, mean.shape[0] - _userCount), itemEgo);
    }
}
