using Motor.Trainer.Items;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Backbones;

/// <summary>Serving vectors: score(user, item) = users[user] · items[item].</summary>
public sealed record ServingVectors(Tensor Users, Tensor Items) : IDisposable
{
    public void Dispose()
    {
        Users.Dispose();
        Items.Dispose();
    }
}

/// <summary>
/// A recommender backbone (METHOD.md section 5). It asks its <see cref="ItemRepresentation"/> for item ego vectors, so the
/// same backbone trains with an ID table or the MOTOR encoder. <c>forward(users, positives, negatives)</c> returns the
/// backbone's own training loss (BPR + its regulariser) for one batch of triples.
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Tensor _isolatedItems;

    protected Backbone(string name, ItemRepresentation items, BackboneContext context)
        : base(name)
    {
        Items = items;
        ColdBoost = context.ColdBoost;
        bool[] isolated = new bool[context.ItemCount];
        Array.Fill(isolated, true);
        foreach (int item in context.TrainByUser.Columns)
        {
            isolated[item] = false;
        }

        // Data, not state: a private field of the base class is not seen by the derived classes' RegisterComponents(), so it
        // is never saved with the weights.
        _isolatedItems = tensor(isolated, [context.ItemCount, 1], device: context.Device);
    }

    /// <summary>See <see cref="ColdServingRule.Boost"/>. Settable: <c>--cold-boost auto</c> chooses it on validation after training.</summary>
    public float ColdBoost { get; set; }

    /// <summary>Items x 1, true for items without training interactions (isolated nodes of a graph backbone).</summary>
    protected Tensor IsolatedItems => _isolatedItems;

    public ItemRepresentation Items { get; }

    /// <summary>
    /// Users x d' and items x d' whose dot product is the ranking score, for every item including those without training
    /// interactions (each backbone's cold-item rule, METHOD.md section 6). Called under no_grad.
    /// </summary>
    public abstract ServingVectors ComputeServingVectors();

    /// <summary>This backbone's rule for items without training interactions, from its current weights.</summary>
    public abstract ColdServingRule ColdServing();

    /// <summary>Called by the training loop before each epoch (FREEDOM resamples its pruned graph); nothing by default.</summary>
    public virtual void BeginEpoch()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _isolatedItems.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// <paramref name="trained"/> (what the backbone serves an item with interactions) for trained items, and the cold-item
    /// rule's vector for items without training interactions: the one place where the two meet.
    /// </summary>
    protected Tensor WithColdItems(Tensor trained, ColdServingRule rule, Tensor? features)
        => where(_isolatedItems, rule.Apply(Items.All(), features), trained);

    /// <summary>
    /// LightGCN's propagation, shared by the graph backbones: the mean of <paramref name="ego"/> and its
    /// <paramref name="layers"/> propagated layers, layer l + 1 = <paramref name="adjacency"/> · layer l.
    /// </summary>
    protected static Tensor LayerMean(Tensor adjacency, Tensor ego, int layers)
    {
        Tensor layer = ego;
        Tensor sum = ego;
        for (int step = 0; step < layers; step++)
        {
            layer = adjacency.mm(layer);
            sum = sum + layer;
        }

        using Scalar layerCount = layers + 1;
        return sum / layerCount;
    }

    /// <summary>MMRec's BPRLoss: −mean log(1e−10 + σ(pos − neg)).</summary>
    protected static Tensor BprLoss(Tensor positiveScores, Tensor negativeScores)
    {
        // TorchSharp scalars are native objects: a temporary Scalar can be finalised while the native call that received its
        // handle still runs, so every scalar operand is held by a using local until the operation has returned.
        using Scalar epsilon = 1e-10;
        return -(sigmoid(positiveScores - negativeScores) + epsilon).log().mean();
    }

    /// <summary>loss + weight · regulariser, with the weight held alive through the native call.</summary>
    protected static Tensor AddRegulariser(Tensor loss, double weight, Tensor regulariser)
    {
        using Scalar scalar = weight;
        return loss + (regulariser * scalar);
    }

    /// <summary>MMRec's EmbLoss: Σ ‖E‖₂ (Frobenius, not squared) over the given embeddings, divided by the batch size.</summary>
    protected static Tensor EmbeddingNormLoss(params Tensor[] embeddings)
    {
        Tensor total = embeddings[0].norm();
        for (int index = 1; index < embeddings.Length; index++)
        {
            total = total + embeddings[index].norm();
        }

        using Scalar batch = embeddings[^1].shape[0];
        return total / batch;
    }
}
