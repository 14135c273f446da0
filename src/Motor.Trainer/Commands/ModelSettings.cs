using System.ComponentModel;
using Motor.Trainer.Backbones;
using Motor.Trainer.Items;
using Motor.Trainer.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

/// <summary>Model, MOTOR and training options shared by <c>train</c> and <c>experiment</c>; defaults are PROTOCOL.md's.</summary>
public class ModelSettings : TorchOutputSettings
{
    [CommandOption("-m|--subspaces <M>")]
    [Description("MOTOR: PQ sub-vectors per modality")]
    [DefaultValue(8)]
    public int SubspaceCount { get; set; } = 8;

    [CommandOption("-k|--centroids <K>")]
    [Description("MOTOR: PQ centroids per sub-space")]
    [DefaultValue(256)]
    public int CentroidCount { get; set; } = 256;

    [CommandOption("--opq")]
    [Description("MOTOR: learn an OPQ rotation before PQ")]
    public bool Opq { get; set; }

    [CommandOption("--tcn-order <ORDER>")]
    [Description("MOTOR: 1, 2 or high (2 + cross layers)")]
    [DefaultValue("high")]
    public string TcnOrder { get; set; } = "high";

    [CommandOption("--tcn-layers <L>")]
    [Description("MOTOR: cross layers with --tcn-order high, 0..3")]
    [DefaultValue(2)]
    public int TcnLayers { get; set; } = 2;

    [CommandOption("--tcn-branches <BRANCHES>")]
    [Description("MOTOR: specific, agnostic or both")]
    [DefaultValue("both")]
    public string TcnBranches { get; set; } = "both";

    [CommandOption("--no-tcn")]
    [Description("MOTOR: item vector = mean of its token vectors")]
    public bool NoTcn { get; set; }

    [CommandOption("--shared-token-table")]
    [Description("MOTOR: one K-row table per modality shared by its sub-spaces")]
    public bool SharedTokenTable { get; set; }

    [CommandOption("--token-init <INIT>")]
    [Description("MOTOR: token table initialisation, xavier or centroids (projected PQ centroids)")]
    [DefaultValue("xavier")]
    public string TokenInit { get; set; } = "xavier";

    [CommandOption("--token-dropout <P>")]
    [Description("MOTOR: training-time probability of leaving a token out of an item's encoding (0 = off); default: the backbone's, chosen on tiktok's validation (BPR and LightGCN 0.5, VBPR 0; docs/RESULTS.md)")]
    public double? TokenDropout { get; set; }

    [CommandOption("--item-dropout <P>")]
    [Description("MOTOR: training-time probability of encoding an item from no token at all (0 = off)")]
    [DefaultValue(0.0)]
    public double ItemDropout { get; set; }

    [CommandOption("--embedding-size <D>")]
    [DefaultValue(64)]
    public int EmbeddingSize { get; set; } = 64;

    [CommandOption("--lr <RATE>")]
    [DefaultValue(1e-3)]
    public double LearningRate { get; set; } = 1e-3;

    [CommandOption("--reg <WEIGHT>")]
    [Description("Regulariser weight (default: the backbone's published default)")]
    public double? Reg { get; set; }

    [CommandOption("--motor-reg <WEIGHT>")]
    [Description("Regulariser weight of MOTOR runs only (default: --reg); lets one experiment tune MOTOR without touching the ID baseline")]
    public double? MotorReg { get; set; }

    [CommandOption("--layers <N>")]
    [Description("Graph backbones: propagation layers (default: the backbone's published default)")]
    public int? Layers { get; set; }

    [CommandOption("--batch-size <N>")]
    [DefaultValue(2048)]
    public int BatchSize { get; set; } = 2048;

    [CommandOption("--epochs <N>")]
    [Description("Maximum epochs (early stopping may end sooner)")]
    [DefaultValue(1000)]
    public int Epochs { get; set; } = 1000;

    [CommandOption("--patience <N>")]
    [Description("Epochs without a better valid Recall@20 before stopping")]
    [DefaultValue(20)]
    public int Patience { get; set; } = 20;

    [CommandOption("--cold-rule <RULE>")]
    [Description("How items without training interactions are served; per backbone (LightGCN: layer-mean, ego or norm-matched); default: the backbone's")]
    public string? ColdRule { get; set; }

    [CommandOption("--cold-dropout <P>")]
    [Description("Training: probability of scoring a batch item by the cold-item rule instead of its trained vector (DropoutNet-style); 0 = off")]
    [DefaultValue(0.0)]
    public double ColdDropout { get; set; }

    [CommandOption("--cold-boost <FACTOR>")]
    [Description("MOTOR: serving-time factor on the vectors of items without training interactions (calibration against the catalog); 1 = none; auto = the factor with the best overall-valid Recall@20 on the hold-out (--cold-items), 1 without one")]
    [DefaultValue("auto")]
    public string ColdBoost { get; set; } = "auto";

    [CommandOption("--cold-items <FRACTION>")]
    [Description("Item hold-out cold start: share of items removed from training (e.g. 0.2); 0 = off")]
    [DefaultValue(0.0)]
    public double ColdItems { get; set; }

    public override ValidationResult Validate()
    {
        ValidationResult baseResult = base.Validate();
        if (!baseResult.Successful)
        {
            return baseResult;
        }

        try
        {
            // The cold rule is checked against the backbone by ToConfig; here only what every backbone shares (as MOTOR, so the
            // MOTOR-only options are checked too).
            (BuildConfig("bpr", "motor") with { ColdRule = null }).Validate();
            return ValidationResult.Success();
        }
        catch (ArgumentException exception)
        {
            return ValidationResult.Error(exception.Message);
        }
    }

    /// <param name="strictColdRule">False: a <c>--cold-rule</c> that this backbone does not have is left out (an experiment
    /// over several backbones sets it for the ones that have it) instead of being an error.</param>
    public RunConfig ToConfig(string backbone, string items, bool strictColdRule = true)
    {
        RunConfig config = BuildConfig(backbone, items);
        if (!strictColdRule && config.ColdRule is not null && !config.Descriptor.ColdRules.Contains(config.ColdRule))
        {
            config = config with { ColdRule = null };
        }

        config.Validate();
        return config;
    }

    private RunConfig BuildConfig(string backbone, string items)
    {
        // MOTOR-only options leave the ID baseline at its published training and serving.
        bool motor = items.Trim().Equals("motor", StringComparison.OrdinalIgnoreCase);
        return new RunConfig
        {
            Backbone = backbone.Trim().ToLowerInvariant(),
            Items = items.Trim().ToLowerInvariant(),
            EmbeddingSize = EmbeddingSize,
            RegWeight = motor ? MotorReg ?? Reg : Reg,
            Layers = Layers,
            SubspaceCount = SubspaceCount,
            CentroidCount = CentroidCount,
            UseOpq = Opq,
            Encoder = new MotorEncoderOptions
            {
                Dimension = EmbeddingSize,
                UseTcn = !NoTcn,
                Order = ParseOrder(TcnOrder),
                CrossLayers = TcnLayers,
                Branches = ParseBranches(TcnBranches),
                SharedTokenTable = SharedTokenTable,
                TokenInitialization = ParseTokenInitialization(TokenInit),
                TokenDropout = TokenDropout ?? BackboneRegistry.Get(backbone.Trim()).DefaultTokenDropout,
                ItemDropout = ItemDropout,
            },
            ColdRule = ColdRule is null ? null : ColdRule.Trim().ToLowerInvariant(),
            ColdDropout = motor ? ColdDropout : 0,
            ColdBoost = motor && !ChoosesColdBoost ? ParseColdBoost(ColdBoost) : 1,
            ChooseColdBoost = motor && ChoosesColdBoost,
            ColdItems = ColdItems,
            Training = new TrainingOptions
            {
                MaxEpochs = Epochs,
                Patience = Patience,
                BatchSize = BatchSize,
                LearningRate = LearningRate,
                Seed = Seed,
            },
        };
    }

    private bool ChoosesColdBoost => ColdBoost.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);

    private static double ParseColdBoost(string value)
        => double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double boost)
            ? boost
            : throw new ArgumentException($"--cold-boost: expected a number or auto, got '{value}'");

    public static Items.TcnOrder ParseOrder(string value) => value.Trim().ToLowerInvariant() switch
    {
        "1" or "first" => Items.TcnOrder.First,
        "2" or "second" => Items.TcnOrder.Second,
        "high" or "3" => Items.TcnOrder.High,
        _ => throw new ArgumentException($"--tcn-order: expected 1, 2 or high, got '{value}'"),
    };

    public static Items.TcnBranches ParseBranches(string value) => value.Trim().ToLowerInvariant() switch
    {
        "specific" => Items.TcnBranches.Specific,
        "agnostic" => Items.TcnBranches.Agnostic,
        "both" => Items.TcnBranches.Both,
        _ => throw new ArgumentException($"--tcn-branches: expected specific, agnostic or both, got '{value}'"),
    };

    public static Items.TokenInitialization ParseTokenInitialization(string value) => value.Trim().ToLowerInvariant() switch
    {
        "xavier" => Items.TokenInitialization.Xavier,
        "centroids" => Items.TokenInitialization.ProjectedCentroids,
        _ => throw new ArgumentException($"--token-init: expected xavier or centroids, got '{value}'"),
    };
}
