namespace Motor.Core.Datasets;

public sealed record DatasetLoadOptions
{
    /// <summary>Load the feature arrays (false: interactions only, e.g. for statistics of huge folders).</summary>
    public bool LoadFeatures { get; init; } = true;
}

/// <summary>Loads a dataset folder: <c>&lt;name&gt;.inter</c> and the modalities (<c>dataset.json</c> or <c>*_feat.npy</c>).</summary>
public static class DatasetLoader
{
    /// <summary>Throws <see cref="DatasetFormatException"/> for every kind of bad input, naming file and line/row.</summary>
    public static InteractionDataset Load(string directory, DatasetLoadOptions? options = null) => throw new NotImplementedException();
}
