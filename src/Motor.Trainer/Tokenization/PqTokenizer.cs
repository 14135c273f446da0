using System.Diagnostics;
using Motor.Core.Datasets;
using Motor.Core.Tokenization;
using Motor.Trainer.Devices;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Tokenization;

/// <summary>Progress of <see cref="PqTokenizer.Fit"/>: the modality being trained and the fraction of its work done.</summary>
public readonly record struct TokenizerProgress(string Modality, double Fraction);

/// <summary>
/// Fits a product quantizer per modality (METHOD.md section 2) and tokenizes every item. Codebooks are trained on the items
/// that occur in the training split ("strict"); all items are then encoded with Motor.Core's
/// <see cref="ProductQuantizer.Encode"/>, the encoder the API uses, so the written tokens are exactly the served ones.
/// </summary>
public static class PqTokenizer
{
    public static TokenizerResult Fit(
        InteractionDataset dataset,
        TokenizerOptions options,
        TorchDevice device,
        IProgress<TokenizerProgress>? progress = null)
    {
        options.Validate();
        if (dataset.Modalities.Count == 0)
        {
            throw new ArgumentException($"{dataset.DirectoryPath}: dataset '{dataset.Name}' has no feature modalities to tokenize");
        }

        foreach (ModalityFeatures modality in dataset.Modalities)
        {
            CheckShape(modality, options);
        }

        int[] trainingItems = TrainingItems(dataset);
        if (options.CentroidCount > trainingItems.Length)
        {
            throw new ArgumentException(
                $"--k: K = {options.CentroidCount} exceeds the {trainingItems.Length} items that occur in the training split of '{dataset.Name}'");
        }

        int subspaces = options.SubspaceCount;
        var tokens = new TokenTable(dataset.ItemCount, dataset.Modalities.Count * subspaces, options.CentroidCount);
        var codebooks = new List<PqCodebook>();
        var means = new List<float[]?>();
        var reports = new List<ModalityReport>();
        for (int m = 0; m < dataset.Modalities.Count; m++)
        {
            ModalityFeatures modality = dataset.Modalities[m];
            var stopwatch = Stopwatch.StartNew();
            progress?.Report(new TokenizerProgress(modality.Name, 0));

            int dimension = modality.Dimension;
            float[] rows = (float[])modality.Values.Clone();
            float[]? mean = options.Preprocessing.MeanCenter ? TrainingMean(rows, dimension, trainingItems) : null;
            options.Preprocessing.Apply(rows, dimension, mean ?? []);
            float[] trainingRows = Gather(rows, dimension, trainingItems);

            PqCodebook codebook = TrainCodebook(modality.Name, trainingRows, trainingItems.Length, dimension, options, device,
                fraction => progress?.Report(new TokenizerProgress(modality.Name, 0.95 * fraction)));

            var codes = new ushort[dataset.ItemCount * subspaces];
            ProductQuantizer.Encode(codebook, rows, dataset.ItemCount, codes);
            ushort[] torchCodes = EncodeOnDevice(codebook, rows, dataset.ItemCount, device);
            long mismatches = 0;
            for (int i = 0; i < codes.Length; i++)
            {
                mismatches += codes[i] == torchCodes[i] ? 0 : 1;
            }

            for (int item = 0; item < dataset.ItemCount; item++)
            {
                for (int j = 0; j < subspaces; j++)
                {
                    tokens[item, m * subspaces + j] = codes[item * subspaces + j];
                }
            }

            ushort[] trainingCodes = GatherCodes(codes, subspaces, trainingItems);
            (double mse, double meanSquaredNorm) = ReconstructionError(codebook, trainingRows, trainingCodes, trainingItems.Length, device);
            (double[] perplexity, int[] dead) = CodewordUsage(trainingCodes, subspaces, options.CentroidCount);
            stopwatch.Stop();

            codebooks.Add(codebook);
            means.Add(mean);
            reports.Add(new ModalityReport
            {
                Modality = modality.Name,
                Dimension = dimension,
                TrainingRows = trainingItems.Length,
                Mse = mse,
                RelativeMse = meanSquaredNorm > 0 ? mse / meanSquaredNorm : 0,
                Perplexity = perplexity,
                DeadCodewords = dead,
                CollisionRate = CollisionRate(codes, subspaces, dataset.ItemCount),
                AssignmentMismatches = mismatches,
                Seconds = stopwatch.Elapsed.TotalSeconds,
            });
            progress?.Report(new TokenizerProgress(modality.Name, 1));
        }

        return new TokenizerResult
        {
            DatasetName = dataset.Name,
            DatasetHash = dataset.ContentHash,
            Device = device.Name,
            Options = options,
            Codebooks = codebooks,
            FeatureMeans = means,
            Tokens = tokens,
            Reports = reports,
        };
    }

    /// <summary>Items that occur in the training split, ascending: the rows codebooks are fitted on.</summary>
    public static int[] TrainingItems(InteractionDataset dataset)
    {
        var seen = new bool[dataset.ItemCount];
        foreach (int item in dataset.Train.Items)
        {
            seen[item] = true;
        }

        var items = new List<int>();
        for (int item = 0; item < seen.Length; item++)
        {
            if (seen[item])
            {
                items.Add(item);
            }
        }

        return [.. items];
    }

    /// <summary>Fits one codebook on preprocessed <paramref name="rows"/> (rowCount x dimension) on the torch device.</summary>
    public static PqCodebook TrainCodebook(
        string modality,
        float[] rows,
        int rowCount,
        int dimension,
        TokenizerOptions options,
        TorchDevice device,
        Action<double>? progress = null)
    {
        if (dimension % options.SubspaceCount != 0)
        {
            throw new ArgumentException(
                $"--m: M = {options.SubspaceCount} does not divide the dimension {dimension} of modality '{modality}'");
        }

        if (options.CentroidCount > rowCount)
        {
            throw new ArgumentException(
                $"--k: K = {options.CentroidCount} exceeds the {rowCount} training rows of modality '{modality}'");
        }

        using DisposeScope scope = NewDisposeScope();
        using Generator generator = device.CreateGenerator(options.Seed);
        Tensor input = tensor(rows, [rowCount, dimension]).to(device.Device);
        (Tensor centroids, Tensor? rotation) = PqTrainer.Train(
            input, options.SubspaceCount, options.CentroidCount, options.Iterations, options.UseOpq, options.OpqRounds, generator, progress);
        float[] centroidValues = centroids.cpu().contiguous().data<float>().ToArray();
        float[]? rotationValues = rotation?.cpu().contiguous().data<float>().ToArray();
        return new PqCodebook(modality, dimension, options.SubspaceCount, options.CentroidCount, centroidValues, rotationValues);
    }

    /// <summary>
    /// The trainer's own assignment (nearest centroid per sub-space, ties to the lower index), on the torch device in
    /// float64 so that rounding cannot flip a choice; used to cross-check Motor.Core's encoder.
    /// </summary>
    public static ushort[] EncodeOnDevice(PqCodebook codebook, float[] rows, int rowCount, TorchDevice device)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor input = tensor(rows, [rowCount, codebook.Dimension]).to(ScalarType.Float64).to(device.Device);
        if (codebook.Rotation is not null)
        {
            // Motor.Core rotates in double and rounds the rotated row to float before measuring distances: do the same.
            input = input.mm(tensor(codebook.Rotation, [codebook.Dimension, codebook.Dimension]).to(ScalarType.Float64).to(device.Device))
                .to(ScalarType.Float32).to(ScalarType.Float64);
        }

        Tensor centroids = tensor(codebook.Centroids, [codebook.SubspaceCount, codebook.CentroidCount, codebook.SubspaceDimension])
            .to(ScalarType.Float64).to(device.Device);
        Tensor codes = KMeans.Assign(PqTrainer.Split(input, codebook.SubspaceCount), centroids).Codes;
        long[] values = codes.t().contiguous().cpu().data<long>().ToArray();
        var result = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = (ushort)values[i];
        }

        return result;
    }

    private static void CheckShape(ModalityFeatures modality, TokenizerOptions options)
    {
        if (modality.Dimension % options.SubspaceCount != 0)
        {
            throw new ArgumentException(
                $"--m: M = {options.SubspaceCount} does not divide the dimension {modality.Dimension} of modality '{modality.Name}' ({modality.FilePath})");
        }

        foreach (char c in modality.Name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                throw new ArgumentException($"{modality.FilePath}: modality name '{modality.Name}' cannot be used in a file name");
            }
        }
    }

    private static float[] TrainingMean(float[] rows, int dimension, int[] trainingItems)
    {
        var sums = new double[dimension];
        foreach (int item in trainingItems)
        {
            ReadOnlySpan<float> row = rows.AsSpan(item * dimension, dimension);
            for (int k = 0; k < dimension; k++)
            {
                sums[k] += row[k];
            }
        }

        var mean = new float[dimension];
        for (int k = 0; k < dimension; k++)
        {
            mean[k] = (float)(sums[k] / trainingItems.Length);
        }

        return mean;
    }

    private static float[] Gather(float[] rows, int dimension, int[] items)
    {
        var result = new float[items.Length * dimension];
        for (int i = 0; i < items.Length; i++)
        {
            rows.AsSpan(items[i] * dimension, dimension).CopyTo(result.AsSpan(i * dimension));
        }

        return result;
    }

    private static ushort[] GatherCodes(ushort[] codes, int subspaces, int[] items)
    {
        var result = new ushort[items.Length * subspaces];
        for (int i = 0; i < items.Length; i++)
        {
            codes.AsSpan(items[i] * subspaces, subspaces).CopyTo(result.AsSpan(i * subspaces));
        }

        return result;
    }

    /// <summary>Mean squared reconstruction error per row and mean squared row norm, in the (rotated) quantization space.</summary>
    private static (double Mse, double MeanSquaredNorm) ReconstructionError(
        PqCodebook codebook, float[] rows, ushort[] codes, int rowCount, TorchDevice device)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor input = tensor(rows, [rowCount, codebook.Dimension]).to(ScalarType.Float64).to(device.Device);
        if (codebook.Rotation is not null)
        {
            input = input.mm(tensor(codebook.Rotation, [codebook.Dimension, codebook.Dimension]).to(ScalarType.Float64).to(device.Device));
        }

        var wide = new long[codes.Length];
        for (int i = 0; i < codes.Length; i++)
        {
            wide[i] = codes[i];
        }

        Tensor codeTensor = tensor(wide, [rowCount, codebook.SubspaceCount]).t().to(device.Device);
        Tensor centroids = tensor(codebook.Centroids, [codebook.SubspaceCount, codebook.CentroidCount, codebook.SubspaceDimension])
            .to(ScalarType.Float64).to(device.Device);
        Tensor reconstruction = PqTrainer.Reconstruct(codeTensor, centroids);
        Tensor error = input - reconstruction;
        double mse = (error * error).sum(1).mean().item<double>();
        double norm = (input * input).sum(1).mean().item<double>();
        return (mse, norm);
    }

    private static (double[] Perplexity, int[] Dead) CodewordUsage(ushort[] codes, int subspaces, int centroidCount)
    {
        int rowCount = codes.Length / subspaces;
        var perplexity = new double[subspaces];
        var dead = new int[subspaces];
        var counts = new int[centroidCount];
        for (int j = 0; j < subspaces; j++)
        {
            Array.Clear(counts);
            for (int row = 0; row < rowCount; row++)
            {
                counts[codes[row * subspaces + j]]++;
            }

            double entropy = 0;
            foreach (int count in counts)
            {
                if (count == 0)
                {
                    dead[j]++;
                    continue;
                }

                double p = (double)count / rowCount;
                entropy -= p * Math.Log(p);
            }

            perplexity[j] = Math.Exp(entropy);
        }

        return (perplexity, dead);
    }

    /// <summary>Share of items whose full code tuple is shared with at least one other item.</summary>
    private static double CollisionRate(ushort[] codes, int subspaces, int itemCount)
    {
        var groups = new Dictionary<string, int>(itemCount);
        var keys = new string[itemCount];
        for (int item = 0; item < itemCount; item++)
        {
            string key = Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(codes.AsSpan(item * subspaces, subspaces)));
            keys[item] = key;
            groups[key] = groups.GetValueOrDefault(key) + 1;
        }

        int colliding = 0;
        foreach (string key in keys)
        {
            colliding += groups[key] > 1 ? 1 : 0;
        }

        return itemCount == 0 ? 0 : (double)colliding / itemCount;
    }
}
