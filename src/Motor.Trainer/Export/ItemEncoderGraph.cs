using Motor.Inference.Encoding;
using Motor.Trainer.Backbones;
using Motor.Trainer.Items;
using Onnx;
using static TorchSharp.torch;

namespace Motor.Trainer.Export;

/// <summary>
/// Writes item_encoder.onnx: token codes (int64 [N, T], modality-major, codes in [0, K)) [+ features float [N, F]] ->
/// serving item vectors (float [N, VectorSize]), reproducing <see cref="MotorItemEncoder.forward"/> operation by
/// operation (same summation and multiplication order), followed by the backbone's <see cref="ColdServingRule"/> in the
/// operations of <see cref="ColdServingRule.Apply"/>.
/// </summary>
internal static class ItemEncoderGraph
{
    public static ModelProto Build(MotorEncoderWeights weights, ColdServingRule serving, string producerVersion)
    {
        MotorEncoderOptions options = weights.Options;
        int dimension = weights.Dimension;
        int subspaces = weights.SubspaceCount;
        var graph = new OnnxGraphBuilder("motor_item_encoder");
        string tokens = graph.Int64Input(ItemEncoderSession.TokensInput, weights.TokensPerItem);
        // VBPR's projection E is ProjectedSize x FeatureSize (torch Linear layout); FREEDOM's neighbourhood reads every modality.
        int featureSize = serving.FeatureProjection is not null
            ? (int)serving.FeatureProjection.shape[1]
            : serving.Neighbours?.CatalogFeatures.Sum(catalog => (int)catalog.shape[1]) ?? 0;
        int projectedSize = serving.FeatureProjection is null ? 0 : (int)serving.FeatureProjection.shape[0];
        string? features = serving.TakesFeatures ? graph.FloatInput(ItemEncoderSession.FeaturesInput, featureSize) : null;

        // Token code -> row of its modality's table: j*K + code (M*K-row tables) or code (shared K-row table).
        string rows = tokens;
        if (!options.SharedTokenTable)
        {
            long[] offsets = new long[weights.TokensPerItem];
            for (int token = 0; token < offsets.Length; token++)
            {
                offsets[token] = (long)(token % subspaces) * weights.CentroidCount;
            }

            rows = graph.Add(tokens, graph.Int64Initializer("row_offsets", offsets, offsets.Length), "token_rows");
        }

        var perModality = new string[weights.ModalityCount];
        for (int modality = 0; modality < weights.ModalityCount; modality++)
        {
            string table = graph.FloatInitializer($"token_tables.{modality}", weights.TokenTables[modality], weights.TableRows, dimension);
            string modalityRows = weights.ModalityCount == 1
                ? rows
                : graph.Slice(rows, 1, modality * subspaces, (modality + 1) * subspaces, $"rows_{modality}");
            perModality[modality] = graph.Gather(table, modalityRows, $"token_vectors_{modality}");
        }

        string z;
        if (!options.UseTcn)
        {
            string all = graph.Concat(perModality, 1, "token_vectors");
            string sum = graph.ReduceSum(all, 1, "token_sum");
            z = graph.Div(sum, graph.ScalarFloat("token_count", weights.TokensPerItem), "z");
        }
        else
        {
            var outputs = new List<string>();
            int branch = 0;
            if (options.Branches != TcnBranches.Agnostic)
            {
                for (int modality = 0; modality < weights.ModalityCount; modality++)
                {
                    outputs.Add(Branch(graph, perModality[modality], weights, branch, options));
                    branch++;
                }
            }

            if (options.Branches != TcnBranches.Specific)
            {
                string all = graph.Concat(perModality, 1, "token_vectors");
                outputs.Add(Branch(graph, all, weights, branch, options));
            }

            string crossed = graph.Concat(outputs, 1, "crossed");
            int crossedWidth = outputs.Count * options.BranchWidth;
            z = graph.Linear(crossed, weights.ProjectionWeight, weights.ProjectionBias, crossedWidth, dimension, "projection");
        }

        string vector = z;
        if (serving.Scale != 1)
        {
            // Same operation as ColdServingRule.Apply (z * scale), so ONNX and TorchSharp round alike.
            vector = graph.Mul(vector, graph.ScalarFloat("cold_scale", serving.Scale), "cold_scaled");
        }

        if (serving.Neighbours is not null)
        {
            // Same operations as ContentNeighbourhood.Apply: per modality top-k by dot product with the unit-row catalog,
            // sum of the neighbours' vectors times the modality's weight, modalities summed in order, added to Scale · z.
            ContentNeighbourhood neighbourhood = serving.Neighbours;
            string catalogVectors = graph.FloatInitializer("neighbour_vectors", MotorEncoderWeights.HostValues(neighbourhood.CatalogVectors), neighbourhood.CatalogVectors.shape[0], neighbourhood.CatalogVectors.shape[1]);
            string? total = null;
            long offset = 0;
            for (int modality = 0; modality < neighbourhood.CatalogFeatures.Count; modality++)
            {
                Tensor catalog = neighbourhood.CatalogFeatures[modality];
                long width = catalog.shape[1];
                using Tensor transposed = catalog.t().contiguous();
                string catalogT = graph.FloatInitializer($"neighbour_catalog.{modality}", MotorEncoderWeights.HostValues(transposed), width, catalog.shape[0]);
                string query = graph.Slice(features!, 1, offset, offset + width, $"neighbour_query_{modality}");
                offset += width;
                string similarity = graph.MatMul(query, catalogT, $"neighbour_similarity_{modality}");
                string indices = graph.TopKIndices(similarity, neighbourhood.K, $"neighbours_{modality}");
                string sum = graph.ReduceSum(graph.Gather(catalogVectors, indices, $"neighbour_vectors_{modality}"), 1, $"neighbour_sum_{modality}");
                string weighted = graph.Mul(sum, graph.ScalarFloat($"neighbour_weight_{modality}", neighbourhood.Weights[modality]), $"neighbour_weighted_{modality}");
                total = total is null ? weighted : graph.Add(total, weighted, $"neighbour_total_{modality}");
            }

            vector = graph.Add(vector, total!, "with_neighbours");
        }

        if (serving.FeatureProjection is not null && features is not null)
        {
            float[] bias = serving.FeatureProjectionBias is null ? [] : MotorEncoderWeights.HostValues(serving.FeatureProjectionBias);
            string projected = graph.Linear(features, MotorEncoderWeights.HostValues(serving.FeatureProjection!), bias, featureSize, projectedSize, "feature_projection");
            vector = graph.Concat([vector, projected], 1, "vbpr_vector");
        }

        if (serving.Boost != 1)
        {
            vector = graph.Mul(vector, graph.ScalarFloat("cold_boost", serving.Boost), "cold_boosted");
        }

        graph.FloatOutput(vector, ItemEncoderSession.VectorsOutput, dimension + projectedSize);
        var metadata = new Dictionary<string, string>
        {
            ["motor.encoder"] = options.Describe(),
            ["motor.modalities"] = weights.ModalityCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["motor.subspaces"] = subspaces.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["motor.centroids"] = weights.CentroidCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return graph.ToModel(producerVersion, metadata);
    }

    /// <summary>One TCN branch over token vectors [N, t, d]: as <c>TcnBranch.forward</c>.</summary>
    private static string Branch(OnnxGraphBuilder graph, string tokenVectors, MotorEncoderWeights weights, int branch, MotorEncoderOptions options)
    {
        string prefix = $"branch{branch}";
        string sum = graph.ReduceSum(tokenVectors, 1, $"{prefix}_sum");
        if (options.Order == TcnOrder.First)
        {
            return sum;
        }

        // 0.5 * ((sum * sum) - (e * e).sum(1)), in torch's order of operations.
        string sumSquared = graph.Mul(sum, sum, $"{prefix}_sum_sq");
        string squares = graph.Mul(tokenVectors, tokenVectors, $"{prefix}_sq");
        string squareSum = graph.ReduceSum(squares, 1, $"{prefix}_sq_sum");
        string difference = graph.Sub(sumSquared, squareSum, $"{prefix}_diff");
        string biInteraction = graph.Mul(graph.ScalarFloat($"{prefix}_half", 0.5f), difference, $"{prefix}_bi");
        string x0 = graph.Concat([sum, biInteraction], 1, $"{prefix}_x0");
        string x = x0;
        int width = options.BranchWidth;
        IReadOnlyList<CrossLayerWeights> layers = weights.Branches[branch];
        for (int layer = 0; layer < layers.Count; layer++)
        {
            string linear = graph.Linear(x, layers[layer].Weight, layers[layer].Bias, width, width, $"branches.{branch}.cross.{layer}");
            string gated = graph.Mul(x0, linear, $"{prefix}_cross{layer}_gated");
            x = graph.Add(gated, x, $"{prefix}_cross{layer}");
        }

        return x;
    }
}
