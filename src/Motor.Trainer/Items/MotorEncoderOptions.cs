namespace Motor.Trainer.Items;

/// <summary>Interaction order of the Token Cross Network (METHOD.md section 4).</summary>
public enum TcnOrder
{
    /// <summary>x0 = h1 = sum of the token vectors (Dimension values).</summary>
    First,

    /// <summary>x0 = [h1 ; h2] with the FM bi-interaction h2 (2 x Dimension values).</summary>
    Second,

    /// <summary>x0 = [h1 ; h2] followed by <see cref="MotorEncoderOptions.CrossLayers"/> DCN-v2 cross layers.</summary>
    High,
}

/// <summary>Which token groups the TCN crosses.</summary>
public enum TcnBranches
{
    /// <summary>One branch per modality over that modality's M tokens.</summary>
    Specific,

    /// <summary>One branch over all tokens of all modalities.</summary>
    Agnostic,

    /// <summary>The modality-specific branches followed by the agnostic one.</summary>
    Both,
}

/// <summary>How the token tables start (METHOD.md section 3).</summary>
public enum TokenInitialization
{
    /// <summary>Xavier-uniform rows, unrelated to the features.</summary>
    Xavier,

    /// <summary>
    /// Row (j, c) = centroid c of sub-space j, placed at the sub-space's coordinates and mapped to d by a fixed random
    /// Gaussian projection of the modality: an item's token rows then sum to the projection of its PQ reconstruction, so
    /// items with similar features start with similar vectors.
    /// </summary>
    ProjectedCentroids,
}

/// <summary>Options of the MOTOR item encoder; every METHOD.md section 3–4 choice is one property so ablations are one flag.</summary>
public sealed record MotorEncoderOptions
{
    /// <summary>d: size of the token vectors and of z_i.</summary>
    public int Dimension { get; init; } = 64;

    /// <summary>False: "no TCN", z_i is the mean of the item's token vectors (no projection).</summary>
    public bool UseTcn { get; init; } = true;

    public TcnOrder Order { get; init; } = TcnOrder.High;

    /// <summary>L in 0..3; used only with <see cref="TcnOrder.High"/>.</summary>
    public int CrossLayers { get; init; } = 2;

    public TcnBranches Branches { get; init; } = TcnBranches.Both;

    /// <summary>One K-row table per modality shared by its M sub-spaces instead of M*K rows.</summary>
    public bool SharedTokenTable { get; init; }

    public TokenInitialization TokenInitialization { get; init; } = TokenInitialization.Xavier;

    /// <summary>
    /// Training only: each token of each item is left out of the item's pooled sums with this probability (the kept ones
    /// scaled by 1/(1−p)), so the encoder cannot rely on one item's exact token tuple. Not in the paper (our option, 0 = off).
    /// </summary>
    public double TokenDropout { get; init; }

    /// <summary>
    /// Training only: each item is encoded from no token at all with this probability (DropoutNet-style), so the backbone
    /// learns to rank items whose tokens say little, as it must for items never seen. Our option, 0 = off.
    /// </summary>
    public double ItemDropout { get; init; }

    public void Validate()
    {
        if (SharedTokenTable && TokenInitialization == TokenInitialization.ProjectedCentroids)
        {
            throw new ArgumentException("--token-init centroids needs one table row per sub-space and code: it cannot be combined with --shared-token-table");
        }

        if (Dimension <= 0)
        {
            throw new ArgumentException($"embedding size must be positive, got {Dimension}");
        }

        if (ItemDropout is < 0 or >= 1)
        {
            throw new ArgumentException($"--item-dropout must be in [0, 1), got {ItemDropout}");
        }

        if (TokenDropout is < 0 or >= 1)
        {
            throw new ArgumentException($"--token-dropout must be in [0, 1), got {TokenDropout}");
        }

        if (CrossLayers is < 0 or > 3)
        {
            throw new ArgumentException($"--tcn-layers must be in 0..3, got {CrossLayers}");
        }
    }

    /// <summary>Width of one branch's output: Dimension (order 1) or 2 x Dimension (order 2 / high).</summary>
    public int BranchWidth => Order == TcnOrder.First ? Dimension : 2 * Dimension;

    public int EffectiveCrossLayers => Order == TcnOrder.High ? CrossLayers : 0;

    public int BranchCount(int modalityCount) => Branches switch
    {
        TcnBranches.Specific => modalityCount,
        TcnBranches.Agnostic => 1,
        _ => modalityCount + 1,
    };

    /// <summary>Short text for tables, e.g. "high L2 both".</summary>
    public string Describe() => UseTcn
        ? $"{Order.ToString().ToLowerInvariant()}{(Order == TcnOrder.High ? $" L{CrossLayers}" : string.Empty)} {Branches.ToString().ToLowerInvariant()}{Suffix}"
        : $"no-tcn{Suffix}";

    private string Suffix => (SharedTokenTable ? " shared" : string.Empty) + (TokenInitialization == TokenInitialization.ProjectedCentroids ? " centroid-init" : string.Empty)
        + (TokenDropout > 0 ? $" drop{TokenDropout:0.###}" : string.Empty)
        + (ItemDropout > 0 ? $" item-drop{ItemDropout:0.###}" : string.Empty);
}
