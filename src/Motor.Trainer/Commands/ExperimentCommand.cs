using System.ComponentModel;
using System.Globalization;
using Motor.Core.Datasets;
using Motor.Trainer.Devices;
using Motor.Trainer.Items;
using Motor.Trainer.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Motor.Trainer.Commands;

public sealed class ExperimentSettings : ModelSettings
{
    [CommandOption("--backbones <LIST>")]
    [Description("Comma-separated backbones, e.g. bpr,vbpr,lightgcn")]
    [DefaultValue("bpr,vbpr,lightgcn")]
    public string Backbones { get; set; } = "bpr,vbpr,lightgcn";

    [CommandOption("--items <LIST>")]
    [Description("Comma-separated item representations: id,motor")]
    [DefaultValue("id,motor")]
    public string Items { get; set; } = "id,motor";

    [CommandOption("--seeds <LIST>")]
    [Description("Comma-separated seeds: every run once per seed in <run>-seed<N>, plus a mean ± sd table over seeds (replaces --seed)")]
    public string? Seeds { get; set; }

    [CommandOption("--resume")]
    [Description("Reuse the finished runs in --out whose metrics.json has the same configuration instead of training them again")]
    public bool Resume { get; set; }

    [CommandOption("--ablation")]
    [Description("Run the MOTOR-LightGCN ablation instead of the grid: no-TCN, order 1, order 2, full; M in {4,8,16} x K in {64,256}")]
    public bool Ablation { get; set; }

    public IReadOnlyList<string> BackboneList => Split(Backbones);

    public IReadOnlyList<string> ItemList => Split(Items);

    /// <summary>The seeds to run: <c>--seeds</c> when given, else the single <c>--seed</c>.</summary>
    public IReadOnlyList<int> SeedList => Seeds is null ? [Seed] : ParseSeeds(Seeds);

    public override ValidationResult Validate()
    {
        ValidationResult baseResult = base.Validate();
        if (!baseResult.Successful)
        {
            return baseResult;
        }

        try
        {
            foreach (string backbone in BackboneList)
            {
                foreach (string items in ItemList)
                {
                    _ = ToConfig(backbone, items, strictColdRule: false);
                }
            }

            if (SeedList.Count != SeedList.Distinct().Count())
            {
                return ValidationResult.Error($"--seeds: each seed once, got '{Seeds}'");
            }

            return BackboneList.Count == 0 || ItemList.Count == 0
                ? ValidationResult.Error("--backbones and --items: at least one value each")
                : ValidationResult.Success();
        }
        catch (ArgumentException exception)
        {
            return ValidationResult.Error(exception.Message);
        }
    }

    private static string[] Split(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int[] ParseSeeds(string value)
    {
        string[] parts = Split(value);
        if (parts.Length == 0)
        {
            throw new ArgumentException("--seeds: at least one seed");
        }

        return [.. parts.Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int seed)
            ? seed
            : throw new ArgumentException($"--seeds: '{part}' is not a non-negative integer"))];
    }
}

/// <summary>
/// <c>experiment</c>: trains every backbone x item representation (or the MOTOR-LightGCN ablation) with the same options
/// and writes results.md and results.json from the runs' metrics, one sub-folder per run; with <c>--seeds</c>, each run
/// once per seed and a table of means and standard deviations over the seeds.
/// </summary>
public sealed class ExperimentCommand(IAnsiConsole console) : Command<ExperimentSettings>
{
    public override int Execute(CommandContext context, ExperimentSettings settings, CancellationToken cancellationToken)
    {
        TorchDevice device = TorchDevice.Resolve(settings.Device, message => console.MarkupLineInterpolated($"[yellow]{message}[/]"));
        InteractionDataset dataset = DatasetLoader.Load(settings.DataDirectory);
        Directory.CreateDirectory(settings.OutputDirectory);
        string command = "motor-trainer " + string.Join(' ', context.Arguments);

        var grid = new List<ExperimentRow>();
        var ablation = new List<ExperimentRow>();
        IEnumerable<(string Name, RunConfig Config)> runs = settings.Ablation ? AblationRuns(settings) : GridRuns(settings);
        IReadOnlyList<int> seeds = settings.SeedList;
        foreach ((string name, RunConfig config) in runs.SelectMany(run => seeds.Select(seed => WithSeed(run, seed, settings.Seeds is not null))))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string runDirectory = Path.Combine(settings.OutputDirectory, name);
            RunMetrics? metrics = settings.Resume ? TrainingRun.LoadFinished(runDirectory, config, dataset) : null;
            if (metrics is not null)
            {
                console.MarkupLineInterpolated($"{name}: finished before with the same configuration, reused");
            }

            metrics ??= TrainCommand.RunWithProgress(console, dataset, config, device, runDirectory, $"{name}: {config.Descriptor.DisplayName} {config.VariantLabel}");
            (settings.Ablation ? ablation : grid).Add(new ExperimentRow(name, metrics, config.Training.Seed));
            ExperimentReport.Write(settings.OutputDirectory, command, grid, ablation);
        }

        console.Write(new Markup(Markup.Escape(File.ReadAllText(Path.Combine(settings.OutputDirectory, ExperimentReport.MarkdownFileName)))));
        console.MarkupLineInterpolated($"wrote {Path.GetFullPath(settings.OutputDirectory)}");
        return 0;
    }

    private static (string Name, RunConfig Config) WithSeed((string Name, RunConfig Config) run, int seed, bool nameSeed)
        => (nameSeed ? $"{run.Name}-seed{seed}" : run.Name, run.Config with { Training = run.Config.Training with { Seed = seed } });

    private static IEnumerable<(string, RunConfig)> GridRuns(ExperimentSettings settings)
    {
        foreach (string backbone in settings.BackboneList)
        {
            foreach (string items in settings.ItemList)
            {
                yield return ($"{backbone}-{items}", settings.ToConfig(backbone, items, strictColdRule: false));
            }
        }
    }

    /// <summary>TCN variants at the chosen M and K, then M x K with the full TCN (the full default run is not repeated).</summary>
    private static IEnumerable<(string, RunConfig)> AblationRuns(ExperimentSettings settings)
    {
        RunConfig full = settings.ToConfig("lightgcn", "motor");
        yield return ("no-tcn", full with { Encoder = full.Encoder with { UseTcn = false } });
        yield return ("order1", full with { Encoder = full.Encoder with { Order = TcnOrder.First } });
        yield return ("order2", full with { Encoder = full.Encoder with { Order = TcnOrder.Second } });
        yield return ("full", full);
        foreach (int m in new[] { 4, 8, 16 })
        {
            foreach (int k in new[] { 64, 256 })
            {
                if (m != full.SubspaceCount || k != full.CentroidCount)
                {
                    yield return ($"m{m}-k{k}", full with { SubspaceCount = m, CentroidCount = k });
                }
            }
        }
    }
}
