using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Backbones;

/// <summary>
/// How a backbone scores an item that has no training interactions (METHOD.md section 6): its serving vector is
/// <c>[Scale · z_i + n_i ; f_i·Eᵀ + b]</c>, with z_i the item's own vector from its representation (the MOTOR encoding of its
/// tokens, or an untrained ID row), n_i its neighbours' vectors in a content graph (FREEDOM, <see cref="Neighbours"/>) and
/// the bracketed feature half only for backbones that project content (VBPR).
/// </summary>
/// <remarks>
/// Each backbone builds its rule from its current weights (<see cref="Backbone.ColdServing"/>); the trainer's evaluation
/// (<see cref="Apply"/>), the ONNX item encoder that the API runs for ingested items (Export/ItemEncoderGraph) and the
/// export's parity check all read this one description, so a rule cannot differ between them. The tensors are views of
/// the backbone's weights, not owned here.
/// </remarks>
public sealed record ColdServingRule
{
    /// <summary>Scale applied to z_i (LightGCN: see its <c>--cold-rule</c>; 1 for BPR and VBPR).</summary>
    public float Scale { get; init; } = 1;

    /// <summary>
    /// Calibration of the whole vector (<c>--cold-boost</c>, the same for every backbone; 1 = none): multiplies every score of
    /// an item without interactions, so new items can be given a place among the trained ones. Chosen on validation.
    /// </summary>
    public float Boost { get; init; } = 1;

    /// <summary>VBPR's E (ProjectedSize x FeatureSize, torch Linear layout); null when the backbone does not project content.</summary>
    public Tensor? FeatureProjection { get; init; }

    /// <summary>b of the feature projection (ProjectedSize values); null for none.</summary>
    public Tensor? FeatureProjectionBias { get; init; }

    /// <summary>FREEDOM: the item's top-k catalog neighbours by content, whose vectors are added to Scale · z_i; null for none.</summary>
    public ContentNeighbourhood? Neighbours { get; init; }

    public bool TakesFeatures => FeatureProjection is not null || Neighbours is not null;

    /// <summary>The serving vectors of <paramref name="z"/>'s items (N x d) as if none had interactions.</summary>
    /// <param name="features">N x F preprocessed features (TrainingRun.FeatureTensor), needed when <see cref="TakesFeatures"/>.</param>
    public Tensor Apply(Tensor z, Tensor? features)
    {
        Tensor vector = z;
        if (Scale != 1)
        {
            using Scalar scale = Scale;
            vector = z * scale;
        }

        if (Neighbours is not null)
        {
            Tensor input = features ?? throw new ArgumentException("this backbone's cold-item rule needs the item features", nameof(features));
            vector = vector + Neighbours.Apply(input);
        }

        if (FeatureProjection is not null)
        {
            Tensor input = features ?? throw new ArgumentException("this backbone's cold-item rule needs the item features", nameof(features));
            Tensor projected = nn.functional.linear(input, FeatureProjection, FeatureProjectionBias);
            vector = cat([vector, projected], 1);
        }

        if (Boost != 1)
        {
            using Scalar boost = Boost;
            vector = vector * boost;
        }

        return vector;
    }
}

/// <summary>
/// An item's neighbourhood in a frozen content graph (FREEDOM's item-item kNN graph, one layer): per modality the
/// <see cref="K"/> catalog items of highest cosine similarity to the item's features, each contributing
/// <c>Weights[m] · CatalogVectors[j]</c>. Only the catalog side is normalised: the query's norm does not change its ranking.
/// </summary>
/// <param name="CatalogFeatures">Per modality, the catalog's preprocessed features with unit rows (Items x d_m), in the column order of the features input.</param>
/// <param name="Weights">Per modality, the graph value of one neighbour.</param>
/// <param name="K">Neighbours per modality.</param>
/// <param name="CatalogVectors">Items x d: what each catalog item contributes as a neighbour (its ego vector).</param>
public sealed record ContentNeighbourhood(IReadOnlyList<Tensor> CatalogFeatures, IReadOnlyList<float> Weights, int K, Tensor CatalogVectors)
{
    /// <summary>Rows of the similarity matrix computed at once, so a large catalog never needs Items² floats.</summary>
    private const int ChunkRows = 2048;

    /// <summary>Σ_m Weights[m] · Σ_{j ∈ top-K_m(i)} CatalogVectors[j] for each row i of <paramref name="features"/> (N x Σ d_m).</summary>
    public Tensor Apply(Tensor features)
    {
        Tensor? total = null;
        long offset = 0;
        for (int modality = 0; modality < CatalogFeatures.Count; modality++)
        {
            Tensor catalog = CatalogFeatures[modality];
            Tensor neighbours = TopK(features.narrow(1, offset, catalog.shape[1]), catalog, K);
            offset += catalog.shape[1];
            Tensor sum = CatalogVectors.index_select(0, neighbours.reshape(-1)).reshape(neighbours.shape[0], K, -1).sum(1);
            using Scalar weight = Weights[modality];
            Tensor weighted = sum * weight;
            total = total is null ? weighted : total + weighted;
        }

        return total ?? throw new InvalidOperationException("a content neighbourhood needs at least one modality");
    }

    /// <summary>Indices (N x k, int64) of the k rows of <paramref name="catalog"/> with the largest dot product with each query row.</summary>
    public static Tensor TopK(Tensor queries, Tensor catalog, int k)
    {
        var parts = new List<Tensor>();
        Tensor catalogT = catalog.t();
        for (long start = 0; start < queries.shape[0]; start += ChunkRows)
        {
            long length = Math.Min(ChunkRows, queries.shape[0] - start);
            using Tensor similarity = queries.narrow(0, start, length).mm(catalogT);

            // A stable sort, so equal similarities (items with identical features, common in real catalogs) go to the lower
            // index, as ONNX TopK breaks ties; torch's topk leaves their order unspecified.
            (Tensor values, Tensor order) = similarity.sort(dim: 1, descending: true, stable: true);
            values.Dispose();
            using (order)
            {
                parts.Add(order.narrow(1, 0, k).contiguous());
            }
        }

        if (parts.Count == 1)
        {
            return parts[0];
        }

        Tensor all = cat(parts, 0);
        foreach (Tensor part in parts)
        {
            part.Dispose();
        }

        return all;
    }

    /// <summary>Rows scaled to unit L2 norm (all-zero rows stay zero).</summary>
    public static Tensor NormalizeRows(Tensor rows)
    {
        using Scalar floor = 1e-12;
        using Tensor norms = rows.norm(1, keepdim: true).clamp_min(floor);
        return rows / norms;
    }
}
