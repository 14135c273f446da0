using Motor.Core.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Motor.Trainer.Items;

/// <summary>
/// MOTOR's ID-free item encoder (METHOD.md sections 3–4): token embeddings per modality combined by the Token Cross Network.
/// </summary>
/// <remarks>
/// State dictionary (names are a contract with the ONNX writer of the bundle step):
/// <list type="bullet">
/// <item><c>token_rows</c> (buffer, int64, ItemCount x T, T = modalities x M, modality-major): the row of the modality's
/// token table used by each token: <c>j*K + code</c> for sub-space j, or <c>code</c> with a shared table.</item>
/// <item><c>token_tables.{m}</c>: modality m's table, (M*K or K) x d.</item>
/// <item><c>branches.{b}.cross.{l}.weight</c> (W x W, applied as x·Wᵀ) and <c>.bias</c> (W): cross layer l of branch b,
/// W = d (order 1) or 2d; branches are the modality-specific ones in modality order, then the agnostic one.</item>
/// <item><c>projection.weight</c> (d x branches·W) and <c>projection.bias</c> (d): the final linear layer.</item>
/// </list>
/// Per branch over its token vectors e_t: h1 = Σ e_t; h2 = ½((Σ e_t)² − Σ e_t²); x0 = h1 (order 1) or [h1 ; h2];
/// x_{l+1} = x0 ⊙ (W_l x_l + b_l) + x_l; z = projection([x_branch0 ; x_branch1 ; ...]).
/// Without TCN: z = mean of all T token vectors, and there are no branch or projection parameters.
/// </remarks>
public sealed class MotorItemEncoder : ItemRepresentation
{
    [ComponentName(Name = "token_rows")]
    private readonly Tensor _tokenRows;

    [ComponentName(Name = "token_tables")]
    private readonly ParameterList _tokenTables;

    [ComponentName(Name = "branches")]
    private readonly ModuleList<TcnBranch> _branches;

    [ComponentName(Name = "projection")]
    private readonly Linear? _projection;

    private readonly int _bytesPerToken;

    /// <summary>
    /// Per modality a constant sparse ItemCount x table-rows matrix with a one at (item, token row) for each of the item's
    /// M tokens: S·table gives every item's Σ e_t and S·table² its Σ e_t² without materialising items x tokens x d.
    /// Built on the first catalog-wide encoding (evaluation, export, graph backbones): a BPR/VBPR training step pools
    /// only its batch and never needs it, which at 10M items saves gigabytes.
    /// </summary>
    private Tensor[]? _pooling;

    /// <summary>Per modality the (item, token row) indices of <see cref="_pooling"/>, for the token-dropout variant.</summary>
    private Tensor[]? _poolingIndices;

    private readonly int _tableRows;

    /// <param name="tokenCodes">ItemCount x (modalityCount x subspaceCount) codes in [0, centroidCount), modality-major.</param>
    public MotorItemEncoder(
        ReadOnlySpan<long> tokenCodes,
        int itemCount,
        int modalityCount,
        int subspaceCount,
        int centroidCount,
        MotorEncoderOptions options,
        Device? device = null)
        : base("motor_items", itemCount, options.Dimension)
    {
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modalityCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(subspaceCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(centroidCount);
        int tokensPerItem = modalityCount * subspaceCount;
        if (tokenCodes.Length != (long)itemCount * tokensPerItem)
        {
            throw new ArgumentException($"expected {itemCount} x {tokensPerItem} token codes, got {tokenCodes.Length}", nameof(tokenCodes));
        }

        Options = options;
        ModalityCount = modalityCount;
        SubspaceCount = subspaceCount;
        CentroidCount = centroidCount;
        _bytesPerToken = centroidCount <= 256 ? 1 : 2;

        long[] rows = new long[tokenCodes.Length];
        for (int index = 0; index < rows.Length; index++)
        {
            long code = tokenCodes[index];
            if (code < 0 || code >= centroidCount)
            {
                throw new ArgumentException($"item {index / tokensPerItem}, token {index % tokensPerItem}: code {code} is outside [0, {centroidCount})", nameof(tokenCodes));
            }

            int subspace = index % tokensPerItem % subspaceCount;
            rows[index] = options.SharedTokenTable ? code : (subspace * (long)centroidCount) + code;
        }

        _tokenRows = tensor(rows, [itemCount, tokensPerItem], ScalarType.Int64, device);

        int tableRows = options.SharedTokenTable ? centroidCount : subspaceCount * centroidCount;
        _tokenTables = new ParameterList();
        for (int modality = 0; modality < modalityCount; modality++)
        {
            _tokenTables.Add(new Parameter(nn.init.xavier_uniform_(empty(tableRows, options.Dimension, device: device))));
        }

        _branches = new ModuleList<TcnBranch>();
        if (options.UseTcn)
        {
            int branchCount = options.BranchCount(modalityCount);
            for (int branch = 0; branch < branchCount; branch++)
            {
                _branches.Add(new TcnBranch(options, device));
            }

            _projection = nn.Linear(branchCount * options.BranchWidth, options.Dimension, hasBias: true, device: device);
        }

        RegisterComponents();

        // Assigned after registration on purpose: derived from token_rows, so not part of the saved state.
        _tableRows = tableRows;
    }

    /// <summary>Builds the encoder over a tokenizer's table (ItemCount x modalities*M codes, modality-major).</summary>
    public static MotorItemEncoder FromTokens(TokenTable tokens, int modalityCount, MotorEncoderOptions options, Device? device = null)
    {
        if (modalityCount <= 0 || tokens.TokensPerItem % modalityCount != 0)
        {
            throw new ArgumentException($"token table has {tokens.TokensPerItem} tokens per item, not a multiple of {modalityCount} modalities");
        }

        long[] codes = new long[(long)tokens.ItemCount * tokens.TokensPerItem];
        for (int item = 0; item < tokens.ItemCount; item++)
        {
            tokens.CopyItem(item, codes.AsSpan(item * tokens.TokensPerItem, tokens.TokensPerItem));
        }

        return new MotorItemEncoder(codes, tokens.ItemCount, modalityCount, tokens.TokensPerItem / modalityCount, tokens.CentroidCount, options, device);
    }

    public MotorEncoderOptions Options { get; }

    public int ModalityCount { get; }

    /// <summary>M.</summary>
    public int SubspaceCount { get; }

    /// <summary>K.</summary>
    public int CentroidCount { get; }

    public int TokensPerItem => ModalityCount * SubspaceCount;

    public override string Kind => "motor";

    /// <summary>Token tables + TCN weights (float32) + one token ID per item and token (1 byte when K &lt;= 256).</summary>
    public override long StorageBytes => ParameterBytes() + ((long)ItemCount * TokensPerItem * _bytesPerToken);

    /// <summary>The token-row buffer (ItemCount x T, int64); see the class remarks.</summary>
    public Tensor TokenRows => _tokenRows;

    public IReadOnlyList<Parameter> TokenTables => [.. _tokenTables];

    /// <summary>
    /// Overwrites the token tables with projected centroids (<see cref="TokenInitialization.ProjectedCentroids"/>): row
    /// j*K + c of modality m = centroid c of sub-space j (Dimension/M values at the sub-space's coordinates) times a fixed
    /// Gaussian projection P_m (modality dimension x d, entries N(0, 1/modality dimension)), seeded.
    /// </summary>
    public void InitializeFromCentroids(IReadOnlyList<PqCodebook> codebooks, int seed)
    {
        if (Options.SharedTokenTable)
        {
            throw new InvalidOperationException("projected-centroid initialisation needs one row per sub-space and code");
        }

        if (codebooks.Count != ModalityCount)
        {
            throw new ArgumentException($"expected {ModalityCount} codebooks, got {codebooks.Count}", nameof(codebooks));
        }

        using DisposeScope scope = NewDisposeScope();
        using Generator generator = new Generator((ulong)seed);
        for (int modality = 0; modality < ModalityCount; modality++)
        {
            PqCodebook codebook = codebooks[modality];
            if (codebook.SubspaceCount != SubspaceCount || codebook.CentroidCount != CentroidCount)
            {
                throw new ArgumentException($"codebook '{codebook.Modality}' is M = {codebook.SubspaceCount}, K = {codebook.CentroidCount}; the encoder has M = {SubspaceCount}, K = {CentroidCount}", nameof(codebooks));
            }

            Parameter table = _tokenTables[modality];
            int width = codebook.SubspaceDimension;
            Tensor centroids = tensor(codebook.Centroids, [SubspaceCount, CentroidCount, width], ScalarType.Float32);
            Tensor projection = randn([codebook.Dimension, Options.Dimension], generator: generator) / Math.Sqrt(codebook.Dimension);

            // Sub-space j's centroids only touch rows j*width..(j+1)*width of the projection.
            Tensor rows = einsum("jcw,jwd->jcd", centroids, projection.reshape(SubspaceCount, width, Options.Dimension))
                .reshape(SubspaceCount * CentroidCount, Options.Dimension);
            using (no_grad())
            {
                table.copy_(rows.to(table.device));
            }
        }
    }

    public override Tensor forward(Tensor itemIndices) => Encode(itemIndices);

    public override Tensor All() => Encode(null);

    /// <summary>z for the given items, or for all items when <paramref name="itemIndices"/> is null.</summary>
    private Tensor Encode(Tensor? itemIndices)
    {
        using DisposeScope scope = NewDisposeScope();
        var sums = new Tensor[ModalityCount];
        var squareSums = new Tensor[ModalityCount];
        bool dropTokens = training && (Options.TokenDropout > 0 || Options.ItemDropout > 0);
        Tensor? keptItems = null;
        if (itemIndices is null && training && Options.ItemDropout > 0)
        {
            // One draw per item and step, shared by its modalities: a dropped item is encoded from no token at all.
            using Scalar keepItem = 1 - Options.ItemDropout;
            keptItems = bernoulli(full(ItemCount, keepItem, ScalarType.Float32, device: _tokenRows.device));
        }

        bool squares = Options.UseTcn && Options.Order != TcnOrder.First;
        if (itemIndices is not null)
        {
            // A training step: pool only the batch's items, so the step's cost follows the batch, not the catalog.
            PoolBatch(itemIndices, sums, squares ? squareSums : null);
        }
        else
        {
            for (int modality = 0; modality < ModalityCount; modality++)
            {
                Tensor table = _tokenTables[modality];
                Tensor pooling = dropTokens ? DroppedPooling(modality, keptItems) : PoolingMatrices()[modality];
                sums[modality] = pooling.mm(table);

                // Products rather than square(): see KMeans.SquaredDistances for the native-scalar race.
                if (squares)
                {
                    squareSums[modality] = pooling.mm(table * table);
                }
            }
        }

        if (!Options.UseTcn)
        {
            using Scalar tokens = TokensPerItem;
            return (Sum(sums) / tokens).MoveToOuterDisposeScope();
        }

        var outputs = new List<Tensor>(_branches.Count);
        int next = 0;
        if (Options.Branches != TcnBranches.Agnostic)
        {
            for (int modality = 0; modality < ModalityCount; modality++)
            {
                outputs.Add(_branches[next++].forward(sums[modality], squareSums[modality]));
            }
        }

        if (Options.Branches != TcnBranches.Specific)
        {
            outputs.Add(_branches[next].forward(Sum(sums), Options.Order == TcnOrder.First ? null : Sum(squareSums)));
        }

        Tensor crossed = outputs.Count == 1 ? outputs[0] : cat(outputs, 1);
        return _projection!.forward(crossed).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Σ e_t and Σ e_t² of the given items only (gathered token vectors, batch x M x d per modality), with the same
    /// dropout as the full pooling: each (item, token) kept with probability 1 − p and scaled by 1/(1 − p), and a dropped
    /// item losing every token. The masks are drawn per row of the batch (an item that occurs twice draws twice), where
    /// the full pooling draws per catalog item: the same distribution, other random numbers.
    /// </summary>
    private void PoolBatch(Tensor itemIndices, Tensor[] sums, Tensor[]? squareSums)
    {
        long batch = itemIndices.shape[0];
        Tensor rows = _tokenRows.index_select(0, itemIndices);
        Tensor? keptItems = null;
        if (training && Options.ItemDropout > 0)
        {
            using Scalar keepItem = 1 - Options.ItemDropout;
            keptItems = bernoulli(full(batch, keepItem, ScalarType.Float32, device: rows.device));
        }

        for (int modality = 0; modality < ModalityCount; modality++)
        {
            Tensor tokenRows = rows.narrow(1, modality * SubspaceCount, SubspaceCount).reshape(-1);
            Tensor vectors = _tokenTables[modality].index_select(0, tokenRows).view(batch, SubspaceCount, Options.Dimension);
            Tensor? weights = null;
            if (training && Options.TokenDropout > 0)
            {
                using Scalar keep = 1 - Options.TokenDropout;
                weights = bernoulli(full([batch, SubspaceCount], keep, ScalarType.Float32, device: rows.device)) / keep;
            }

            if (keptItems is not null)
            {
                Tensor itemWeights = keptItems.unsqueeze(1).expand(batch, SubspaceCount);
                weights = weights is null ? itemWeights : weights * itemWeights;
            }

            // As the sparse pooling computes them: Σ w_t e_t and Σ w_t e_t² (the weights are not squared).
            Tensor? weight = weights?.unsqueeze(2);
            sums[modality] = (weight is null ? vectors : vectors * weight).sum(1);
            if (squareSums is not null)
            {
                Tensor square = vectors * vectors;
                squareSums[modality] = (weight is null ? square : square * weight).sum(1);
            }
        }
    }

    private static Tensor Sum(Tensor[] parts)
    {
        Tensor total = parts[0];
        for (int index = 1; index < parts.Length; index++)
        {
            total = total + parts[index];
        }

        return total;
    }

    /// <summary>
    /// The pooling matrix with each (item, token) entry kept with probability 1 − p and scaled by 1/(1 − p), and every
    /// entry of the items not in <paramref name="keptItems"/> (item dropout, not rescaled) removed.
    /// </summary>
    private Tensor DroppedPooling(int modality, Tensor? keptItems)
    {
        _ = PoolingMatrices();
        Tensor indices = _poolingIndices![modality];
        Tensor kept;
        if (Options.TokenDropout > 0)
        {
            using Scalar keep = 1 - Options.TokenDropout;
            kept = bernoulli(full(indices.shape[1], keep, ScalarType.Float32, device: indices.device)) / keep;
        }
        else
        {
            kept = ones(indices.shape[1], ScalarType.Float32, device: indices.device);
        }

        if (keptItems is not null)
        {
            // Entries are item-major (item * M + token), so each item's keep flag repeats M times.
            kept = kept * keptItems.repeat_interleave(SubspaceCount);
        }

        return sparse_coo_tensor(indices, kept, [ItemCount, _tableRows]);
    }

    /// <summary>The catalog-wide pooling matrices (built on first use, from token_rows, item-major entries).</summary>
    private Tensor[] PoolingMatrices()
    {
        if (_pooling is not null)
        {
            return _pooling;
        }

        using (no_grad())
        {
            var pooling = new Tensor[ModalityCount];
            var indices = new Tensor[ModalityCount];
            using Tensor items = arange(ItemCount, ScalarType.Int64, device: _tokenRows.device).repeat_interleave(SubspaceCount);
            for (int modality = 0; modality < ModalityCount; modality++)
            {
                using Tensor columns = _tokenRows.narrow(1, modality * SubspaceCount, SubspaceCount).reshape(-1);
                indices[modality] = stack([items, columns]).DetachFromDisposeScope();
                using Tensor values = ones(indices[modality].shape[1], ScalarType.Float32, device: _tokenRows.device);
                pooling[modality] = sparse_coo_tensor(indices[modality], values, [ItemCount, _tableRows]).DetachFromDisposeScope();
            }

            _poolingIndices = indices;
            _pooling = pooling;
            return pooling;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (Tensor tensor in (_pooling ?? []).Concat(_poolingIndices ?? []))
            {
                tensor.Dispose();
            }

            _pooling = null;
            _poolingIndices = null;
        }

        base.Dispose(disposing);
    }
}
/// <summary>One TCN branch: first/second-order pooling of its token vectors, then the DCN-v2 cross layers.</summary>
internal sealed class TcnBranch : nn.Module<Tensor, Tensor?, Tensor>
{
    [ComponentName(Name = "cross")]
    private readonly ModuleList<Linear> _cross;

    private readonly TcnOrder _order;

    public TcnBranch(MotorEncoderOptions options, Device? device)
        : base("tcn_branch")
    {
        _order = options.Order;
        _cross = new ModuleList<Linear>();
        for (int layer = 0; layer < options.EffectiveCrossLayers; layer++)
        {
            Linear linear = nn.Linear(options.BranchWidth, options.BranchWidth, hasBias: true, device: device);
            // DCN-v2 initialisation: Xavier weights, zero bias, so a layer starts close to x0 ⊙ (W x) + x.
            nn.init.xavier_uniform_(linear.weight!);
            nn.init.zeros_(linear.bias!);
            _cross.Add(linear);
        }

        RegisterComponents();
    }

    /// <param name="sum">Σ e_t over the branch's tokens, batch x d.</param>
    /// <param name="squareSum">Σ e_t² (element-wise), batch x d; unused (may be null) for order 1.</param>
    public override Tensor forward(Tensor sum, Tensor? squareSum)
    {
        if (_order == TcnOrder.First)
        {
            return sum.alias();
        }

        using DisposeScope scope = NewDisposeScope();
        using Scalar half = 0.5;
        Tensor biInteraction = ((sum * sum) - squareSum!) * half;
        Tensor x0 = cat([sum, biInteraction], 1);
        Tensor x = x0;
        foreach (Linear layer in _cross)
        {
            x = (x0 * layer.forward(x)) + x;
        }

        return x.MoveToOuterDisposeScope();
    }
}
