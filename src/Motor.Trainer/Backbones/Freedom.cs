using Motor.Trainer.Items;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Motor.Trainer.Backbones;

/// <summary>
/// FREEDOM (Zhou and Shen, MM 2023) as MMRec's <c>models/freedom.py</c>: a frozen item-item graph built once from the modality
/// features (per modality the cosine top-<see cref="KnnK"/> of every item, values 1/k, the modality graphs mixed with
/// <see cref="ImageWeight"/> for <c>image</c>), LightGCN propagation over the user-item graph whose edges are pruned each
/// epoch by degree-sensitive sampling (<see cref="EdgeDropout"/>), and item vectors = layer mean + the item ego vectors
/// propagated <see cref="ItemGraphLayers"/> times through the frozen item graph. Loss: BPR on the final vectors +
/// reg_weight · Σ_m BPR(user, W_m f_m⁺, W_m f_m⁻) on the projected (trainable) modality features. MOTOR replaces the
/// item-ID table only; the graph, the feature tables and their projections are FREEDOM's own in both variants.
/// </summary>
/// <remarks>
/// Items without training interactions are isolated in the user-item graph, so FREEDOM itself serves them
/// ego/(Layers + 1) + their neighbours in the content graph. That is the cold-item rule (<c>knn</c>): its neighbours are
/// found from the item's own features against the catalog's, so the exported encoder computes it for an ingested item.
/// </remarks>
public sealed class Freedom : Backbone
{
    /// <summary>
    /// MMRec FREEDOM.yaml: embedding_size 64, n_ui_layers 2; reg_weight searched over [0, 1e-5, 1e-4, 1e-3]: the first, 0.
    /// MOTOR's token dropout stays 0 here: not yet chosen on validation for FREEDOM.
    /// </summary>
    public static readonly BackboneDescriptor Descriptor = new("freedom", "FREEDOM", 0.0, 2, true, ["knn"], (context, items) => new Freedom(context, items));

    /// <summary>knn_k of FREEDOM.yaml.</summary>
    public const int KnnK = 10;

    /// <summary>mm_image_weight of FREEDOM.yaml: the image graph's share of the mixed item graph.</summary>
    public const double ImageWeight = 0.1;

    /// <summary>dropout of FREEDOM.yaml, searched over [0.8, 0.9]: the first. Share of user-item edges pruned per epoch.</summary>
    public const double EdgeDropout = 0.8;

    /// <summary>n_mm_layers of FREEDOM.yaml.</summary>
    public const int ItemGraphLayers = 1;

    [ComponentName(Name = "user_embedding")]
    private readonly Parameter _userEmbedding;

    [ComponentName(Name = "items")]
    private readonly ItemRepresentation _items;

    // MMRec's image_embedding/text_embedding (nn.Embedding.from_pretrained(freeze=False)) and image_trs/text_trs.
    [ComponentName(Name = "modality_features")]
    private readonly ParameterList _modalityFeatures;

    [ComponentName(Name = "modality_projections")]
    private readonly ModuleList<Linear> _modalityProjections;

    private readonly Tensor _adjacency;
    private readonly Tensor _itemGraph;
    private readonly Tensor _edgeUsers;
    private readonly Tensor _edgeItems;
    private readonly Tensor _edgeWeights;
    private readonly Tensor[] _catalogFeatures;
    private readonly float[] _neighbourWeights;
    private Tensor? _prunedAdjacency;

    private readonly double _regWeight;
    private readonly int _layers;
    private readonly int _userCount;
    private readonly int _itemCount;

    public Freedom(BackboneContext context, ItemRepresentation items)
        : base("freedom", items, context)
    {
        Tensor features = context.ItemFeatures ?? throw new ArgumentException("--backbone freedom: the dataset has no feature modalities");
        IReadOnlyList<int> dimensions = context.ModalityDimensions;
        if (dimensions.Count == 0 || dimensions.Sum() != features.shape[1])
        {
            throw new ArgumentException($"--backbone freedom: modality widths {string.Join("+", dimensions)} do not add up to the {features.shape[1]} feature columns");
        }

        _items = items;
        _regWeight = context.RegWeight;
        _layers = context.Layers;
        _userCount = context.UserCount;
        _itemCount = context.ItemCount;
        _userEmbedding = new Parameter(nn.init.xavier_uniform_(empty(context.UserCount, context.EmbeddingSize, device: context.Device)));
        var tables = new List<Parameter>();
        var projections = new List<Linear>();
        int offset = 0;
        foreach (int width in dimensions)
        {
            tables.Add(new Parameter(features.narrow(1, offset, width).clone()));
            // feat_embed_dim (64 in FREEDOM.yaml) is the embedding size: the projected features are scored against user vectors.
            projections.Add(nn.Linear(width, context.EmbeddingSize, hasBias: true, device: context.Device));
            offset += width;
        }

        _modalityFeatures = nn.ParameterList([.. tables]);
        _modalityProjections = nn.ModuleList([.. projections]);
        RegisterComponents();

        // Assigned after registration on purpose: graphs and catalog features are data built from the dataset, not state.
        _adjacency = LightGcn.NormalizedAdjacency(context.TrainByUser, context.UserCount, context.ItemCount, context.Device);
        (_edgeUsers, _edgeItems, _edgeWeights) = Edges(context);
        _neighbourWeights = NeighbourWeights(context.ModalityNames, dimensions.Count);
        _catalogFeatures = new Tensor[dimensions.Count];
        offset = 0;
        for (int modality = 0; modality < dimensions.Count; modality++)
        {
            _catalogFeatures[modality] = ContentNeighbourhood.NormalizeRows(features.narrow(1, offset, dimensions[modality]));
            offset += dimensions[modality];
        }

        _itemGraph = ItemGraph(_catalogFeatures, _neighbourWeights, context.ItemCount);
    }

    public int Layers => _layers;

    /// <summary>MMRec's pre_epoch_processing: a fresh degree-sensitive sample of the user-item edges for this epoch.</summary>
    public override void BeginEpoch()
    {
        _prunedAdjacency?.Dispose();
        _prunedAdjacency = PrunedAdjacency();
    }

    public override Tensor forward(Tensor users, Tensor positives, Tensor negatives)
    {
        if (training && _prunedAdjacency is null)
        {
            BeginEpoch();
        }

        (Tensor allUsers, Tensor allItems) = Propagate(training ? _prunedAdjacency! : _adjacency);
        Tensor user = allUsers.index_select(0, users);
        Tensor loss = Bpr(user, allItems.index_select(0, positives), allItems.index_select(0, negatives));
        if (_regWeight == 0)
        {
            // The modality losses weigh nothing; skipping them leaves the gradients as they are (zero for their weights).
            return loss;
        }

        Tensor modalityLoss = zeros(1, device: user.device);
        for (int modality = 0; modality < _modalityProjections.Count; modality++)
        {
            Linear projection = _modalityProjections[modality];
            Tensor table = _modalityFeatures[modality];
            modalityLoss = modalityLoss + Bpr(user, projection.forward(table.index_select(0, positives)), projection.forward(table.index_select(0, negatives)));
        }

        return AddRegulariser(loss, _regWeight, modalityLoss.squeeze(0));
    }

    public override ServingVectors ComputeServingVectors()
    {
        using var scope = NewDisposeScope();
        (Tensor users, Tensor items) = Propagate(_adjacency);

        // An isolated item's propagated layers are zero, so FREEDOM's own vector for it is ego/(Layers + 1) + its neighbours
        // in the frozen graph: exactly the knn rule (ColdServing), which ColdServingRuleTests checks; only the boost is added.
        Tensor served = items;
        if (ColdBoost != 1)
        {
            using Scalar boost = ColdBoost;
            served = where(IsolatedItems, items * boost, items);
        }

        return new ServingVectors(users.detach().MoveToOuterDisposeScope(), served.detach().MoveToOuterDisposeScope());
    }

    /// <summary>ego/(Layers + 1) + the item's content neighbours' ego vectors (one item-graph layer), as FREEDOM serves it.</summary>
    public override ColdServingRule ColdServing()
    {
        if (ItemGraphLayers != 1)
        {
            throw new InvalidOperationException("the knn rule takes one item-graph layer");
        }

        return new ColdServingRule
        {
            Scale = 1f / (_layers + 1),
            Boost = ColdBoost,
            Neighbours = new ContentNeighbourhood(_catalogFeatures, _neighbourWeights, KnnK, _items.All().detach()),
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _adjacency.Dispose();
            _itemGraph.Dispose();
            _edgeUsers.Dispose();
            _edgeItems.Dispose();
            _edgeWeights.Dispose();
            _prunedAdjacency?.Dispose();
            foreach (Tensor catalog in _catalogFeatures)
            {
                catalog.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>MMRec's FREEDOM.bpr_loss: −mean log σ(pos − neg) (logsigmoid, no epsilon).</summary>
    private static Tensor Bpr(Tensor user, Tensor positive, Tensor negative)
        => -nn.functional.logsigmoid((user * positive).sum(1) - (user * negative).sum(1)).mean();

    private (Tensor Users, Tensor Items) Propagate(Tensor adjacency)
    {
        Tensor itemEgo = _items.All();
        Tensor content = itemEgo;
        for (int step = 0; step < ItemGraphLayers; step++)
        {
            content = _itemGraph.mm(content);
        }

        Tensor mean = LayerMean(adjacency, cat([_userEmbedding, itemEgo], 0), _layers);
        return (mean.narrow(0, 0, _userCount), mean.narrow(0, _userCount, _itemCount) + content);
    }

    /// <summary>
    /// The training edges (user, item) and their weights 1/√(d_u d_i) (MMRec's get_edge_info), which are also the sampling
    /// weights of the degree-sensitive pruning: edges between low-degree nodes are kept more often.
    /// </summary>
    private static (Tensor Users, Tensor Items, Tensor Weights) Edges(BackboneContext context)
    {
        var trainByUser = context.TrainByUser;
        long[] users = new long[trainByUser.NonZeroCount];
        long[] items = new long[trainByUser.NonZeroCount];
        int next = 0;
        for (int user = 0; user < context.UserCount; user++)
        {
            foreach (int item in trainByUser.Row(user))
            {
                users[next] = user;
                items[next] = item;
                next++;
            }
        }

        Tensor userTensor = tensor(users, device: context.Device);
        Tensor itemTensor = tensor(items, device: context.Device);
        Tensor weights = EdgeValues(userTensor, itemTensor, context.UserCount, context.ItemCount);
        return (userTensor, itemTensor, weights);
    }

    /// <summary>MMRec's _normalize_adj_m: 1/√((d_u + 1e-7)(d_i + 1e-7)) with degrees counted over the given edges only.</summary>
    private static Tensor EdgeValues(Tensor users, Tensor items, int userCount, int itemCount)
    {
        using var scope = NewDisposeScope();
        using Scalar epsilon = 1e-7;
        using Scalar power = -0.5;
        Tensor userDegrees = (bincount(users, minlength: userCount).to(ScalarType.Float32) + epsilon).pow(power);
        Tensor itemDegrees = (bincount(items, minlength: itemCount).to(ScalarType.Float32) + epsilon).pow(power);
        return (userDegrees.index_select(0, users) * itemDegrees.index_select(0, items)).MoveToOuterDisposeScope();
    }

    /// <summary>MMRec's pre_epoch_processing: keep ⌊E·(1 − dropout)⌋ edges drawn without replacement by weight, renormalised.</summary>
    private Tensor PrunedAdjacency()
    {
        using var scope = NewDisposeScope();
        long keep = (long)(_edgeWeights.shape[0] * (1.0 - EdgeDropout));
        Tensor kept = multinomial(_edgeWeights, keep, replacement: false);
        Tensor users = _edgeUsers.index_select(0, kept);
        Tensor items = _edgeItems.index_select(0, kept);
        Tensor values = EdgeValues(users, items, _userCount, _itemCount);
        using Scalar userCount = _userCount;
        Tensor itemNodes = items + userCount;
        Tensor indices = stack([cat([users, itemNodes]), cat([itemNodes, users])]);
        long nodes = _userCount + _itemCount;
        return sparse_coo_tensor(indices, cat([values, values]), [nodes, nodes]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The frozen item graph: per modality each item's top-k catalog items by cosine (itself included, as in MMRec), value
    /// weight/(k + 1e-7) (its symmetric normalisation, every row having k entries), the modality graphs summed.
    /// </summary>
    private static Tensor ItemGraph(IReadOnlyList<Tensor> catalogFeatures, IReadOnlyList<float> weights, int itemCount)
    {
        using var scope = NewDisposeScope();
        var rows = new List<Tensor>();
        var columns = new List<Tensor>();
        var values = new List<Tensor>();
        for (int modality = 0; modality < catalogFeatures.Count; modality++)
        {
            Tensor neighbours = ContentNeighbourhood.TopK(catalogFeatures[modality], catalogFeatures[modality], KnnK);
            rows.Add(arange(itemCount, ScalarType.Int64, neighbours.device).unsqueeze(1).expand(-1, KnnK).reshape(-1));
            columns.Add(neighbours.reshape(-1));
            values.Add(full(neighbours.numel(), weights[modality], ScalarType.Float32, neighbours.device));
        }

        // An item that is a neighbour in two modalities has two entries; sparse mm sums them, as MMRec's coalesced sum does.
        Tensor graph = sparse_coo_tensor(stack([cat(rows), cat(columns)]), cat(values), [itemCount, itemCount]);
        return graph.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Graph value of a neighbour in each modality: mm_image_weight/(k + 1e-7) for <c>image</c>, the rest shared by the other
    /// modalities (tiktok: audio takes MMRec's text share); equal shares when there is no image modality.
    /// </summary>
    private static float[] NeighbourWeights(IReadOnlyList<string> names, int count)
    {
        int image = -1;
        for (int index = 0; index < names.Count; index++)
        {
            if (string.Equals(names[index], "image", StringComparison.OrdinalIgnoreCase))
            {
                image = index;
            }
        }

        double[] shares = new double[count];
        if (count == 1)
        {
            shares[0] = 1;
        }
        else if (image < 0)
        {
            Array.Fill(shares, 1.0 / count);
        }
        else
        {
            Array.Fill(shares, (1 - ImageWeight) / (count - 1));
            shares[image] = ImageWeight;
        }

        // MMRec: 1/√(k + 1e-7) for the row times 1/√(k + 1e-7) for the column, in float32.
        float normalization = (float)Math.Pow((float)(KnnK + 1e-7), -0.5);
        return [.. shares.Select(share => (float)(share * (normalization * normalization)))];
    }
}
