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
    protected Backbone(string name, ItemRepresentation items)
        : base(name)
    {
        Items = items;
    }

    public ItemRepresentation Items { get; }

    /// <summary>
    /// Users x d' and items x d' whose dot product is the ranking score, for every item including those without training
    /// interactions (each backbone's cold-item rule, METHOD.md section 6). Called under no_grad.
    /// </summary>
    public abstract ServingVectors ComputeServingVectors();

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
