using Motor.Core.Tokenization;

namespace Motor.Trainer.Tokenization;

/// <summary>Settings of the PQ tokenizer (METHOD.md section 2); defaults are the method's defaults.</summary>
public sealed record TokenizerOptions
{
    /// <summary>M: contiguous sub-vectors per modality; must divide every modality's dimension.</summary>
    public int SubspaceCount { get; init; } = 8;

    /// <summary>K: centroids per sub-space (K &lt;= 256 stores one byte per token).</summary>
    public int CentroidCount { get; init; } = 256;

    /// <summary>Lloyd iterations per k-means run (per OPQ round when OPQ is on).</summary>
    public int Iterations { get; init; } = 25;

    public int Seed { get; init; } = 999;

    public bool UseOpq { get; init; }

    /// <summary>Outer rounds of OPQ (k-means, then the Procrustes rotation update).</summary>
    public int OpqRounds { get; init; } = 10;

    /// <summary>Row preprocessing before quantization; the mean (when centring) comes from the training items.</summary>
    public FeaturePreprocessing Preprocessing { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the option when a value is out of range.</summary>
    public void Validate()
    {
        if (SubspaceCount <= 0)
        {
            throw new ArgumentException($"--m: must be positive, got {SubspaceCount}");
        }

        if (CentroidCount <= 0 || CentroidCount > ushort.MaxValue + 1)
        {
            throw new ArgumentException($"--k: must be in [1, 65536], got {CentroidCount}");
        }

        if (Iterations < 0)
        {
            throw new ArgumentException($"--iterations: must be >= 0, got {Iterations}");
        }

        if (UseOpq && OpqRounds <= 0)
        {
            throw new ArgumentException($"--opq-rounds: must be positive, got {OpqRounds}");
        }
    }
}
