using System.ComponentModel;
using System.Globalization;
using Motor.Core.Datasets;
using Motor.Core.Tokenization;
using Motor.Trainer.Devices;
using Motor.Trainer.Tokenization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class TokenizeSettings : TorchOutputSettings
{
    [CommandOption("-m|--subspaces <M>")]
    [Description("M: sub-vectors per modality, must divide every modality's dimension (also --m)")]
    [DefaultValue(8)]
    public int SubspaceCount { get; set; } = 8;

    [CommandOption("-k|--centroids <K>")]
    [Description("K: centroids per sub-space (also --k)")]
    [DefaultValue(256)]
    public int CentroidCount { get; set; } = 256;

    [CommandOption("--iterations <N>")]
    [Description("Lloyd iterations per k-means run")]
    [DefaultValue(25)]
    public int Iterations { get; set; } = 25;

    [CommandOption("--opq")]
    [Description("Learn an OPQ rotation (alternating PQ and orthogonal Procrustes)")]
    public bool Opq { get; set; }

    [CommandOption("--opq-rounds <N>")]
    [Description("Outer OPQ rounds")]
    [DefaultValue(10)]
    public int OpqRounds { get; set; } = 10;

    [CommandOption("--no-l2")]
    [Description("Do not L2-normalise feature rows")]
    public bool NoL2 { get; set; }

    [CommandOption("--mean-center")]
    [Description("Subtract the training items' mean before quantization")]
    public bool MeanCenter { get; set; }

    public TokenizerOptions ToOptions() => new()
    {
        SubspaceCount = SubspaceCount,
        CentroidCount = CentroidCount,
        Iterations = Iterations,
        Seed = Seed,
        UseOpq = Opq,
        OpqRounds = OpqRounds,
        Preprocessing = new FeaturePreprocessing { L2Normalize = !NoL2, MeanCenter = MeanCenter },
    };
}

/// <summary><c>tokenize</c>: fits the PQ tokenizer on a dataset and writes codebooks, item tokens and tokenizer.json.</summary>
public sealed class TokenizeCommand(IAnsiConsole console) : Command<TokenizeSettings>
{
    public override int Execute(CommandContext context, TokenizeSettings settings, CancellationToken cancellationToken)
    {
        TokenizerOptions options = settings.ToOptions();
        options.Validate();
        TorchDevice device = TorchDevice.Resolve(settings.Device, message => console.MarkupLineInterpolated($"[yellow]{message}[/]"));
        TorchDevice.Seed(settings.Seed);
        InteractionDataset dataset = DatasetLoader.Load(settings.DataDirectory);

        TokenizerResult result = console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(progressContext =>
            {
                var tasks = dataset.Modalities.ToDictionary(m => m.Name, m => progressContext.AddTask($"{m.Name} ({m.Dimension}d)", maxValue: 1));
                var reporter = new SynchronousProgress(update => tasks[update.Modality].Value = update.Fraction);
                return PqTokenizer.Fit(dataset, options, device, reporter);
            });
        result.Save(settings.OutputDirectory);

        var table = new Table().Title($"tokenizer on {Markup.Escape(dataset.Name)} ({device.Name})")
            .AddColumns("modality", "dim", "MSE", "relative MSE", "perplexity (min..max)", "dead", "collisions", "seconds");
        foreach (ModalityReport report in result.Reports)
        {
            table.AddRow(
                Markup.Escape(report.Modality),
                report.Dimension.ToString(CultureInfo.InvariantCulture),
                report.Mse.ToString("G4", CultureInfo.InvariantCulture),
                report.RelativeMse.ToString("F4", CultureInfo.InvariantCulture),
                $"{report.Perplexity.Min():F1}..{report.Perplexity.Max():F1}",
                report.DeadCodewords.Sum().ToString(CultureInfo.InvariantCulture),
                report.CollisionRate.ToString("P2", CultureInfo.InvariantCulture),
                report.Seconds.ToString("F1", CultureInfo.InvariantCulture));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"wrote {Path.GetFullPath(settings.OutputDirectory)}");
        return 0;
    }

    /// <summary>Applies progress updates on the reporting thread (Progress&lt;T&gt; would post them out of order).</summary>
    private sealed class SynchronousProgress(Action<TokenizerProgress> apply) : IProgress<TokenizerProgress>
    {
        public void Report(TokenizerProgress value) => apply(value);
    }
}
