namespace Motor.Api.FirstRun;

/// <summary>Trains the first-run model in process and exports its bundle (Motor.Trainer's library entry points).</summary>
public static class DemoBundleTrainer
{
    public static void TrainAndExport(string datasetPath, string workDirectory, string bundlePath, Action<string> log, CancellationToken cancellationToken)
        => throw new NotSupportedException("integration with the trainer's library entry points pending");
}
